import Foundation
import RNNEngine

/// What a loaded experiment holds, as the arrays a saved or converted experiment file refers to.
extension LoadedExperiment {
    /// Every variable the model's cells use, under the engine's (TF) names, in the order the cells first asked
    /// for them: the given ones and the defaults from the seed. Builds every layer's cell against `store`;
    /// errors name this file and `weights`.
    public func engineVariables() throws -> [(name: String, tensor: Tensor<Scalar>)] {
        try ExperimentError.located(file: file, field: "weights") {
            for layer in spec.model.layers(inputDepth: inputDepth) {
                try layer.spec.makeCell(store: store).build(inputDepth: layer.inputDepth, scope: layer.scope)
            }
            return try store.requests.map { ($0.name, try store.variable($0.name, shape: $0.expectedShape, initializer: .zeros)) }
        }
    }

    /// `engineVariables` by name.
    public func engineVariablesByName() throws -> [String: Tensor<Scalar>] {
        Dictionary(try engineVariables().map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The weights under the names of the convention's framework (TF's are the engine's own variables):
    /// what a saved experiment's `weights` archive holds.
    public func weightArrays() throws -> [(String, NumpyArray)] {
        if spec.convention == .tf { return try engineVariables().map { ($0.name, try NumpyArray($0.tensor)) } }
        let variables = try engineVariablesByName()
        return try located {
            try WeightLayouts.frameworkArrays(model: spec.model, inputDepth: inputDepth, engine: variables)
                .map { ($0.name, try NumpyArray($0.tensor)) }
        }
    }

    /// The initial state's arrays in the convention's structure, empty for a zero state: PyTorch's stacked
    /// `initial_state/h_0` (and `c_0`), ONNX's `initial_state/initial_h` (and `initial_c`), otherwise one array per leaf of each pass's state (`initial_state/c`,
    /// bidirectional `initial_state/1/h`). A pass without a given state gets its zero state, so the file
    /// loads back (the loader wants every pass's arrays).
    public func initialStateArrays() throws -> [(String, NumpyArray)] {
        let model = spec.model
        let given = [initialState, initialStateBackward].prefix(model.directions.count)
        guard given.contains(where: { $0 != nil }) else { return [] }
        let states = try zip(model.directions, given).map { d, s in
            try s ?? ExperimentError.located(file: file, field: "cell") {
                try model.cell(for: d).makeCell(store: VariableStore<Scalar>()).zeroState(batchSize: batchSize)
            }
        }
        if spec.convention == .torch {
            let stacked = try ExperimentError.located(file: file, field: "initial_state") { try TorchStateLayout.stack(states, model: model) }
            return [("initial_state/h_0", try NumpyArray(stacked.h))] + (try stacked.c.map { [("initial_state/c_0", try NumpyArray($0))] } ?? [])
        }
        if spec.convention == .onnx {
            // The directions stacked on ONNX's num_directions axis, as `Y_h` and `Y_c` are.
            let axis = spec.timeMajor ? 0 : 1
            var h: [Tensor<Scalar>] = [], c: [Tensor<Scalar>] = []
            for s in states {
                switch s {
                case let .leaf(t): h.append(t)
                case let .lstm(ct, ht): h.append(ht); c.append(ct)
                case .tuple: continue
                }
            }
            let (hs, cs) = (h, c)
            let stacked: (h: Tensor<Scalar>, c: Tensor<Scalar>?) = try ExperimentError.located(file: file, field: "initial_state") {
                (try ONNXStateLayout.stack(hs, axis: axis), cs.isEmpty ? nil : try ONNXStateLayout.stack(cs, axis: axis))
            }
            return [("initial_state/initial_h", try NumpyArray(stacked.h))] + (try stacked.c.map { [("initial_state/initial_c", try NumpyArray($0))] } ?? [])
        }
        var out: [(String, NumpyArray)] = []
        for (d, s) in zip(model.directions, states) {
            for (path, t) in s.flattenedWithPaths(under: spec.arrayName("initial_state", for: d)) { out.append((path, try NumpyArray(t))) }
        }
        return out
    }
}
