/// The results of `RNNModel.run`: one output and one final state per direction, with the convention that names them.
public struct ModelResult<Scalar: RNNScalar>: Sendable {
    public let model: RNNModel
    /// Per direction, in the inputs' layout, masked steps as the convention emits them.
    public let outputs: [Tensor<Scalar>]
    /// Per direction, in that direction's cell's state structure (a stack's state is a tuple of layers).
    public let states: [Nest<Tensor<Scalar>>]
    /// Whether the outputs are time-major (ONNX's results put their `num_directions` axis by the layout).
    public let timeMajor: Bool

    public init(model: RNNModel, outputs: [Tensor<Scalar>], states: [Nest<Tensor<Scalar>>], timeMajor: Bool = false) {
        self.model = model
        self.outputs = outputs
        self.states = states
        self.timeMajor = timeMajor
    }

    /// The results under the framework's own names and structure:
    /// - tf and keras: `outputs` and `state/...` (`outputs/0`, `outputs/1`, `state/0/...`, `state/1/...` when
    ///   bidirectional), states named by their place in the state structure (`state/c`, `state/0/h`);
    /// - torch: `output` (both directions concatenated along the depth), `h_n` and, for an LSTM, `c_n`, each
    ///   `[layers * directions, batch, hidden]` (layer 0 forward, layer 0 backward, layer 1 forward, ...);
    /// - onnx: `Y` `[T, num_directions, batch, H]` (batch-major: `[batch, T, num_directions, H]`), `Y_h` and, for an
    ///   LSTM, `Y_c` `[num_directions, batch, H]` (batch-major: `[batch, num_directions, H]`).
    public func namedTensors() throws -> [(name: String, tensor: Tensor<Scalar>)] {
        try model.namedResults(outputs: outputs, states: states, timeMajor: timeMajor, concat: concatDepth,
                               stack: TorchStateLayout.stackRows, stackAxis: ONNXStateLayout.stack)
            .map { (name: $0.name, tensor: $0.value) }
    }
}

extension RNNModel {
    /// The names and shapes of the results for a batch of `batch` rows, `maxTime` steps and inputs of depth
    /// `inputDepth`, without running (the structure `ModelResult.namedTensors` returns).
    public func resultShapes(batch: Int, maxTime: Int, inputDepth: Int, timeMajor: Bool) throws -> [(name: String, shape: [Int])] {
        let lead = timeMajor ? [maxTime, batch] : [batch, maxTime]
        let outputs = directions.map { lead + [cell(for: $0).outputSize] }
        let states = directions.map { cell(for: $0).stateSize.map { [batch, $0] } }
        return try namedResults(outputs: outputs, states: states, timeMajor: timeMajor,
                                concat: { a, b in Array(a.dropLast()) + [(a.last ?? 0) + (b.last ?? 0)] },
                                stack: { (items: [[Int]]) in [items.count] + (items.first ?? []) },
                                stackAxis: { (items: [[Int]], axis: Int) in
                                    let s = items.first ?? []
                                    return Array(s.prefix(axis)) + [items.count] + Array(s.dropFirst(axis))
                                }).map { (name: $0.name, shape: $0.value) }
    }

    /// The one place results are named: tf and keras keep TF's structure, torch stacks PyTorch's, onnx stacks
    /// the directions on ONNX's `num_directions` axis.
    func namedResults<T>(outputs: [T], states: [Nest<T>], timeMajor: Bool, concat: (T, T) -> T, stack: ([T]) throws -> T,
                         stackAxis: ([T], Int) throws -> T) throws -> [(name: String, value: T)] {
        if convention == .onnx {
            var hs: [T] = [], cs: [T] = []
            for s in states {
                switch s {
                case let .leaf(h): hs.append(h)
                case let .lstm(c, h): hs.append(h); cs.append(c)
                case .tuple: throw RNNError.badInitialState("an ONNX node's state is one h (and c) per direction; got a nested state")
                }
            }
            var out: [(name: String, value: T)] = [("Y", try stackAxis(outputs, timeMajor ? 1 : 2)), ("Y_h", try stackAxis(hs, timeMajor ? 0 : 1))]
            if !cs.isEmpty { out.append(("Y_c", try stackAxis(cs, timeMajor ? 0 : 1))) }
            return out
        }
        guard convention == .torch else {
            var out: [(name: String, value: T)] = []
            func name(_ base: String, _ i: Int) -> String { bidirectional ? joinPath(base, String(i)) : base }
            for (i, o) in outputs.enumerated() { out.append((name("outputs", i), o)) }
            for (i, s) in states.enumerated() { out += s.flattenedWithPaths(under: name("state", i)).map { (name: $0.path, value: $0.value) } }
            return out
        }
        var output = outputs[0]
        if outputs.count > 1 { output = concat(outputs[0], outputs[1]) }
        let stacked = try TorchStateLayout.stack(states, model: self, stack: stack)
        var out: [(name: String, value: T)] = [("output", output), ("h_n", stacked.h)]
        if let c = stacked.c { out.append(("c_n", c)) }
        return out
    }
}

/// PyTorch's state layout: `h` (and `c` for an LSTM) as `[layers * directions, batch, size]`, layer-major with the
/// forward direction first, for `h_0`/`c_0` and `h_n`/`c_n`.
public enum TorchStateLayout {
    /// The per-direction states (each a tuple of layers for a stack, the layer's state otherwise) as `h` and `c`.
    public static func stack<Scalar: RNNScalar>(_ states: [Nest<Tensor<Scalar>>], model: RNNModel) throws
        -> (h: Tensor<Scalar>, c: Tensor<Scalar>?) {
        try stack(states, model: model, stack: stackRows)
    }

    /// `stack` for any per-layer values, `stack` joining one value per layer and direction in PyTorch's order.
    static func stack<T>(_ states: [Nest<T>], model: RNNModel, stack: ([T]) throws -> T) throws -> (h: T, c: T?) {
        var hs: [T] = [], cs: [T] = []
        let perDirection = states.map { layerStates($0, model: model) }
        let layers = perDirection.map(\.count).max() ?? 0
        for l in 0..<layers {
            for d in perDirection.indices where l < perDirection[d].count {
                switch perDirection[d][l] {
                case let .leaf(h): hs.append(h)
                case let .lstm(c, h): hs.append(h); cs.append(c)
                case .tuple:
                    throw RNNError.badInitialState("a PyTorch state has one h (and c) per layer and direction; layer \(l) has a nested state")
                }
            }
        }
        return (try stack(hs), cs.isEmpty ? nil : try stack(cs))
    }

    /// The per-direction initial states of `model` from PyTorch's `h_0` (and `c_0` for an LSTM), checking shapes.
    public static func split<Scalar: RNNScalar>(h0: Tensor<Scalar>, c0: Tensor<Scalar>?, model: RNNModel, batch: Int) throws
        -> [Nest<Tensor<Scalar>>] {
        let layerSpecs = model.cell.layers
        let count = layerSpecs.count * model.directions.count
        guard let first = layerSpecs.first else { return [] }
        let isLSTM = { if case .lstm = first.stateSize { return true } else { return false } }()
        let hSize = first.outputSize
        let cSize = first.numUnits
        guard h0.shape == [count, batch, hSize] else {
            throw RNNError.badInitialState("h_0: expected shape \(formatShape([count, batch, hSize])) ([layers * directions, batch, \(isLSTM && hSize != cSize ? "proj_size" : "hidden_size")]), got \(formatShape(h0.shape))")
        }
        if isLSTM {
            guard let c0 else { throw RNNError.badInitialState("c_0 is missing (an LSTM's initial state is h_0 and c_0, shape \(formatShape([count, batch, cSize])))") }
            guard c0.shape == [count, batch, cSize] else {
                throw RNNError.badInitialState("c_0: expected shape \(formatShape([count, batch, cSize])) ([layers * directions, batch, hidden_size]), got \(formatShape(c0.shape))")
            }
        }
        func slice(_ t: Tensor<Scalar>, _ i: Int) -> Tensor<Scalar> {
            let n = t.count / max(count, 1)
            return Tensor(unchecked: Array(t.shape.dropFirst()), scalars: Array(t.scalars[(i * n)..<((i + 1) * n)]))
        }
        return model.directions.map { d in
            let layers: [Nest<Tensor<Scalar>>] = layerSpecs.indices.map { l in
                let i = l * model.directions.count + d.rawValue
                if isLSTM, let c0 { return .lstm(c: slice(c0, i), h: slice(h0, i)) }
                return .leaf(slice(h0, i))
            }
            if case .multi = model.cell(for: d) { return .tuple(layers) }
            return layers[0]
        }
    }

    private static func layerStates<T>(_ state: Nest<T>, model: RNNModel) -> [Nest<T>] {
        if case .multi = model.cell, case let .tuple(items) = state { return items }
        return [state]
    }

    static func stackRows<Scalar: RNNScalar>(_ ts: [Tensor<Scalar>]) throws -> Tensor<Scalar> {
        guard let first = ts.first else { return Tensor(zeros: [0]) }
        for t in ts where t.shape != first.shape {
            throw RNNError.invalidShape("cannot stack states of shapes \(formatShape(first.shape)) and \(formatShape(t.shape))")
        }
        return Tensor(unchecked: [ts.count] + first.shape, scalars: ts.flatMap(\.scalars))
    }
}

/// ONNX's state and output layout: the directions stacked on a `num_directions` axis, `[num_directions, batch, H]`
/// for `initial_h` / `Y_h` (`[batch, num_directions, H]` batch-major) and `[T, num_directions, batch, H]` for `Y`
/// (`[batch, T, num_directions, H]`).
public enum ONNXStateLayout {
    /// Equal-shaped tensors stacked along a new axis at `axis`.
    public static func stack<Scalar: RNNScalar>(_ ts: [Tensor<Scalar>], axis: Int) throws -> Tensor<Scalar> {
        guard let first = ts.first else { return Tensor(zeros: [0]) }
        for t in ts where t.shape != first.shape {
            throw RNNError.invalidShape("cannot stack \(formatShape(first.shape)) and \(formatShape(t.shape))")
        }
        let outer = first.shape.prefix(axis).reduce(1, *), inner = first.shape.dropFirst(axis).reduce(1, *)
        var out = [Scalar]()
        out.reserveCapacity(outer * inner * ts.count)
        for o in 0..<outer { for t in ts { out.append(contentsOf: t.scalars[(o * inner)..<((o + 1) * inner)]) } }
        return Tensor(unchecked: Array(first.shape.prefix(axis)) + [ts.count] + Array(first.shape.dropFirst(axis)), scalars: out)
    }

    /// Slice `index` of `t` along `axis` (the axis removed): one direction of `initial_h` / `initial_c`.
    public static func slice<Scalar: RNNScalar>(_ t: Tensor<Scalar>, axis: Int, index: Int) -> Tensor<Scalar> {
        let n = t.shape[axis]
        let outer = t.shape.prefix(axis).reduce(1, *), inner = t.shape.dropFirst(axis + 1).reduce(1, *)
        var out = [Scalar]()
        out.reserveCapacity(outer * inner)
        for o in 0..<outer { out.append(contentsOf: t.scalars[((o * n + index) * inner)..<((o * n + index + 1) * inner)]) }
        var shape = t.shape
        shape.remove(at: axis)
        return Tensor(unchecked: shape, scalars: out)
    }

    /// The per-direction initial states of `model` (an onnx model: one layer) from `initial_h` and `initial_c`
    /// (`[num_directions, batch, H]`, batch-major `[batch, num_directions, H]`), zeros for an absent one; each
    /// shape checked and named in errors by ONNX's input names.
    public static func split<Scalar: RNNScalar>(h: Tensor<Scalar>?, c: Tensor<Scalar>?, model: RNNModel, batch: Int,
                                                timeMajor: Bool) throws -> [Nest<Tensor<Scalar>>] {
        let nd = model.directions.count, units = model.cell.numUnits
        let shape = timeMajor ? [nd, batch, units] : [batch, nd, units]
        let isLSTM = { if case .lstm = model.cell.stateSize { return true } else { return false } }()
        let what = timeMajor ? "[num_directions, batch, hidden_size]" : "[batch, num_directions, hidden_size] (layout 1)"
        for (name, t) in [("initial_h", h), ("initial_c", c)] {
            guard let t else { continue }
            if name == "initial_c" && !isLSTM {
                throw RNNError.badInitialState("initial_c: only an LSTM has a cell state; \(model.cell.summary(for: .onnx)) takes initial_h alone")
            }
            guard t.shape == shape else {
                throw RNNError.badInitialState("\(name): expected shape \(formatShape(shape)) (\(what)), got \(formatShape(t.shape))")
            }
        }
        let axis = timeMajor ? 0 : 1
        return (0..<nd).map { d in
            let hd = h.map { slice($0, axis: axis, index: d) } ?? Tensor(zeros: [batch, units])
            guard isLSTM else { return .leaf(hd) }
            return .lstm(c: c.map { slice($0, axis: axis, index: d) } ?? Tensor(zeros: [batch, units]), h: hd)
        }
    }
}
