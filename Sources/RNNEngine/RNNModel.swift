/// A recurrent model as a framework runs it: the cells, whether it is bidirectional, and the convention whose rules
/// the run follows. `run` composes `dynamicRNN`, `bidirectionalDynamicRNN` or `stackBidirectionalDynamicRNN` as the
/// convention says and applies its masked-output rule.
public struct RNNModel: Sendable, Equatable {
    public var cell: CellSpec
    /// The backward cell of a bidirectional model (nil: a copy of `cell`).
    public var cellBackward: CellSpec?
    public var bidirectional: Bool
    public var convention: Convention
    /// One pass that reads each row backward within its length and writes its outputs back in input order (ONNX's
    /// `direction: "reverse"`); its one direction is `.backward`. Ignored when `bidirectional`.
    public var reverse: Bool

    public init(cell: CellSpec, cellBackward: CellSpec? = nil, bidirectional: Bool = false, convention: Convention = .tf,
                reverse: Bool = false) {
        self.cell = cell
        self.cellBackward = cellBackward
        self.bidirectional = bidirectional
        self.convention = convention
        self.reverse = reverse
    }

    /// The variable scope of the whole run: `rnn`, `bidirectional_rnn`, or `stack_bidirectional_rnn` for a
    /// layer-wise bidirectional stack (TF's defaults for `dynamic_rnn`, `bidirectional_dynamic_rnn`,
    /// `stack_bidirectional_dynamic_rnn`).
    public var scope: String {
        guard bidirectional, convention.bidirectionalStacking == .layerwise else { return VariableScope.root(bidirectional: bidirectional) }
        return VariableScope.stackBidirectionalRNN
    }

    /// The passes: forward, and backward when bidirectional; backward alone when `reverse`.
    public var directions: [Direction] { bidirectional ? [.forward, .backward] : [reverse ? .backward : .forward] }

    /// The cell of `direction` (`cellBackward` falls back to `cell`).
    public func cell(for direction: Direction) -> CellSpec { direction == .backward ? (cellBackward ?? cell) : cell }

    /// One layer of one direction: what it runs, on what input depth, and the variable scope its cell is built under.
    public struct Layer: Sendable, Equatable {
        /// Index in the stack (0 for a single cell).
        public let index: Int
        public let direction: Direction
        public let spec: CellSpec
        public let inputDepth: Int
        /// The scope passed to the cell's `build` (its variables are `scope/<cell name>/...`).
        public let scope: String
    }

    /// Every layer of every direction for inputs of depth `inputDepth`, forward direction first.
    /// A wrapper or a nested stack counts as one layer (only the tf convention allows them).
    public func layers(inputDepth: Int) -> [Layer] {
        var out: [Layer] = []
        for d in directions {
            let spec = cell(for: d)
            let layered = bidirectional && convention.bidirectionalStacking == .layerwise
            let base = bidirectional && !layered ? VariableScope.scope(scope, for: d) : scope
            var depth = inputDepth
            for (i, l) in spec.layers.enumerated() {
                let s: String
                if layered {
                    s = VariableScope.scope(stackBidirectionalLayerScope(scope, layer: i), for: d)
                } else if case .multi = spec {
                    s = multiRNNCellLayerScope(base, layer: i)
                } else {
                    s = base
                }
                out.append(Layer(index: i, direction: d, spec: l, inputDepth: depth, scope: s))
                depth = l.outputSize * (layered ? 2 : 1)
            }
        }
        return out
    }

    /// Refuses what the convention's framework cannot express, saying why.
    public func validate() throws {
        try validateComposition()
        func fail(_ m: String) -> RNNError { RNNError.invalidCell("convention \(convention.rawValue): " + m) }
        if goesBackwards {
            guard convention.hasGoBackwards else {
                throw fail("go_backwards is an argument of Keras' recurrent layers; \(convention.frameworkName) has none (a backward pass is \"bidirectional\")")
            }
            guard !bidirectional else {
                throw fail("go_backwards inside keras.layers.Bidirectional: the wrapper makes its own backward layer (leave go_backwards out)")
            }
        }
        for d in directions {
            // A kind of one convention only, or a convention with kinds of its own (also for tf, which runs the rest).
            for l in cell(for: d).layers.compactMap(\.unwrappedLayer) where l.descriptor.onlyConvention != nil || CellKind.hasOwnKinds(convention) {
                if let why = l.descriptor.refusal(l, convention: convention) { throw fail(why) }
            }
        }
        if convention == .tf { return }
        for d in directions {
            let spec = cell(for: d)
            for (i, layer) in spec.layers.enumerated() {
                let place = spec.layers.count > 1 ? "layer \(i): " : ""
                if let why = unsupportedReason(layer) { throw fail(place + why) }
            }
        }
        if convention == .onnx, bidirectional, let fw = cell.unwrappedLayer, let bw = cellBackward?.unwrappedLayer {
            var a = fw.options, b = bw.options
            (a.activations, b.activations) = ([], [])
            if fw.kind != bw.kind || fw.numUnits != bw.numUnits || a != b {
                throw fail("one ONNX node runs both directions with the same operator, hidden_size and attributes (only the activations are per direction); cell_bw differs (\(bw.summary(for: convention)) vs \(fw.summary(for: convention)))")
            }
        }
        if convention == .torch {
            let layers = cell.layers
            if let first = layers.first, let other = layers.first(where: { !$0.sameTorchModule(as: first) }) {
                throw fail("one torch.nn module runs every layer with the same type, hidden size and proj_size; got \(first.summary(for: convention)) and \(other.summary(for: convention))")
            }
            if bidirectional, let bw = cellBackward, bw != cell {
                throw fail("PyTorch's bidirectional layers use the same type and sizes in both directions; cell_bw differs (\(bw.summary(for: convention)) vs \(cell.summary(for: convention)))")
            }
        }
    }

    /// Refuses a composition the convention cannot run (Keras' `Bidirectional` wraps one layer), whatever the cells.
    func validateComposition() throws {
        if convention.runsOneLayer, cell.layers.count > 1 || cellBackward.map({ $0.layers.count > 1 }) == true {
            throw RNNError.invalidCell("convention \(convention.rawValue): one ONNX LSTM, GRU or RNN node is one layer; a stack is several nodes (not supported yet)")
        }
        if reverse, !bidirectional, !convention.hasReversePass {
            throw RNNError.invalidCell("convention \(convention.rawValue): a lone reverse pass is ONNX's direction \"reverse\"; \(convention.frameworkName) has none here")
        }
        if bidirectional, convention.bidirectionalStacking == .singleLayer, cell.layers.count > 1 || cellBackward.map({ $0.layers.count > 1 }) == true {
            throw RNNError.invalidCell("convention \(convention.rawValue): keras.layers.Bidirectional wraps a single layer; a stack of bidirectional layers each reading both directions is the torch convention's \"bidirectional\"")
        }
    }

    /// Why the convention's framework has no layer like `spec`, or nil when it has one (a plain layer's descriptor
    /// answers; wrappers and nested stacks are TF's alone).
    private func unsupportedReason(_ spec: CellSpec) -> String? {
        let framework = convention.frameworkName, frameworks = convention.frameworkPossessive
        switch spec {
        case let .layer(l): return l.descriptor.refusal(l, convention: convention)
        case .multi: return "a stack inside a stack has no \(framework) form"
        case .residual: return "\(framework) has no ResidualWrapper layer"
        case .dropout: return "\(frameworks) dropout is not TF's DropoutWrapper; leave it out of the experiment"
        }
    }

    /// Runs the model on `inputs` (`[batch, time, depth]`, or `[time, batch, depth]` when `timeMajor`) with the
    /// weights in `store` (engine names: each layer's `Layer.scope`), as the convention's framework would.
    /// `initialStates` holds one state per direction, each in that direction's cell's state structure.
    /// With `rulesOnly` the cells are not checked against the framework's (any cell runs under its rules: what a
    /// comparison of conventions on the same cells needs).
    /// A `go_backwards` layer runs as under the mask `t < sequence_length[b]` (`run(store:inputs:mask:)`).
    public func run<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]? = nil,
        initialStates: [Nest<Tensor<Scalar>>?] = [], timeMajor: Bool = false, parallelIterations: Int = 32,
        swapMemory: Bool = false, rulesOnly: Bool = false
    ) throws -> ModelResult<Scalar> {
        if goesBackwards, inputs.rank == 3 {
            return try run(store: store, inputs: inputs, mask: sequenceLength.map { StepMask(lengths: $0, maxTime: inputs.shape[timeMajor ? 0 : 1]) },
                           initialStates: initialStates, timeMajor: timeMajor, parallelIterations: parallelIterations,
                           swapMemory: swapMemory)
        }
        return try runReadingForward(store: store, inputs: inputs, sequenceLength: sequenceLength, initialStates: initialStates,
                                     timeMajor: timeMajor, parallelIterations: parallelIterations, swapMemory: swapMemory,
                                     rulesOnly: rulesOnly)
    }

    /// `run` with every layer reading its steps in order (a `go_backwards` layer's inputs come reversed already).
    func runReadingForward<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]?,
        initialStates: [Nest<Tensor<Scalar>>?], timeMajor: Bool, parallelIterations: Int,
        swapMemory: Bool, rulesOnly: Bool
    ) throws -> ModelResult<Scalar> {
        if rulesOnly {
            try validateComposition()
        } else {
            try validate()
        }
        if inputs.rank >= 2 { try convention.checkSequenceLength(sequenceLength, maxTime: inputs.shape[timeMajor ? 0 : 1]) }
        let initial = { (d: Int) in d < initialStates.count ? initialStates[d] : nil }
        func finish(_ outputs: [Tensor<Scalar>], _ states: [Nest<Tensor<Scalar>>]) -> ModelResult<Scalar> {
            result(outputs: outputs, states: states, sequenceLength: sequenceLength, timeMajor: timeMajor)
        }
        if reverse && !bidirectional {
            let reversed = try reverseSequence(inputs, lengths: sequenceLength, timeMajor: timeMajor)
            let r = try dynamicRNN(cell: try cell.makeCell(store: store), inputs: .leaf(reversed), sequenceLength: sequenceLength,
                                   initialState: initial(0), dtype: Scalar.dtype, parallelIterations: parallelIterations,
                                   swapMemory: swapMemory, timeMajor: timeMajor, scope: scope)
            return finish([try reverseSequence(r.outputs, lengths: sequenceLength, timeMajor: timeMajor)], [r.state])
        }
        guard bidirectional else {
            let r = try dynamicRNN(cell: try cell.makeCell(store: store), inputs: .leaf(inputs), sequenceLength: sequenceLength,
                                   initialState: initial(0), dtype: Scalar.dtype, parallelIterations: parallelIterations,
                                   swapMemory: swapMemory, timeMajor: timeMajor, scope: scope)
            return finish([r.outputs], [r.state])
        }
        if convention.bidirectionalStacking == .layerwise {
            let fw = try cell.layers.map { try $0.makeCell(store: store) }
            let bw = try cell(for: .backward).layers.map { try $0.makeCell(store: store) }
            let r = try stackBidirectionalDynamicRNN(
                cellsForward: fw, cellsBackward: bw, inputs: inputs, sequenceLength: sequenceLength,
                initialStatesForward: initial(0).map { stackLayers($0, count: fw.count) },
                initialStatesBackward: initial(1).map { stackLayers($0, count: bw.count) },
                parallelIterations: parallelIterations, swapMemory: swapMemory, timeMajor: timeMajor, scope: scope)
            let multi = { (spec: CellSpec, s: [Nest<Tensor<Scalar>>]) -> Nest<Tensor<Scalar>> in
                if case .multi = spec { return .tuple(s) }
                return s[0]
            }
            return finish([r.outputsForward, r.outputsBackward], [multi(cell, r.statesForward), multi(cell(for: .backward), r.statesBackward)])
        }
        let r = try bidirectionalDynamicRNN(
            cellForward: try cell.makeCell(store: store), cellBackward: try cell(for: .backward).makeCell(store: store),
            inputs: .leaf(inputs), sequenceLength: sequenceLength, initialStateForward: initial(0),
            initialStateBackward: initial(1), dtype: Scalar.dtype, parallelIterations: parallelIterations,
            swapMemory: swapMemory, timeMajor: timeMajor, scope: scope)
        return finish([r.outputsForward, r.outputsBackward], [r.stateForward, r.stateBackward])
    }

    /// The results as the convention emits them, from each direction's `dynamicRNN` outputs (masked steps zero)
    /// and final state: the convention's masked-output rule applied, and a zero final state for rows of length 0
    /// where the convention ends them so (`emptyRowsEndInZeroState`).
    func result<Scalar: RNNScalar>(outputs: [Tensor<Scalar>], states: [Nest<Tensor<Scalar>>], sequenceLength: [Int]?,
                                   timeMajor: Bool) -> ModelResult<Scalar> {
        let rule = convention.maskedOutput(bidirectional: bidirectional)
        var finalStates = states
        if convention.emptyRowsEndInZeroState, let lengths = sequenceLength, lengths.contains(where: { $0 <= 0 }) {
            finalStates = states.map { state in
                state.map { t in
                    guard t.rank == 2, t.shape[0] == lengths.count else { return t }
                    var s = t.scalars
                    let width = t.shape[1]
                    for (b, l) in lengths.enumerated() where l <= 0 { for k in 0..<width { s[b * width + k] = 0 } }
                    return Tensor(unchecked: t.shape, scalars: s)
                }
            }
        }
        return ModelResult(model: self, outputs: outputs.map { rule.apply(to: $0, sequenceLength: sequenceLength, timeMajor: timeMajor) },
                           states: finalStates, timeMajor: timeMajor)
    }

    /// A direction's state as one state per layer (a stack's tuple items, or the single layer's state).
    func stackLayers<T>(_ state: Nest<T>, count: Int) -> [Nest<T>] {
        if count > 1 || isStack, case let .tuple(items) = state { return items }
        return [state]
    }

    private var isStack: Bool {
        if case .multi = cell { return true }
        return false
    }
}

extension CellSpec {
    /// Whether two layers can be layers of one `torch.nn` module (same kind, sizes and options).
    func sameTorchModule(as other: CellSpec) -> Bool {
        guard case let .layer(a) = self, case let .layer(b) = other else { return false }
        return a == b
    }
}
