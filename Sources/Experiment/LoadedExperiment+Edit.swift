import RNNEngine

extension LoadedExperiment {
    /// What `edited(spec:)` kept of an experiment's arrays when its cells changed.
    public struct EditSummary: Equatable, Sendable {
        /// Given weights whose names and shapes still fit the new cells (kept).
        public let keptWeights: Int
        /// Weights of the new cells that get defaults from the seed.
        public let seededWeights: Int
        /// The passes whose given initial state no longer fits (they start from the zero state).
        public let droppedInitialStates: [Direction]
    }

    /// The experiment with an edited spec (a stack, cell or length edit): when the cells changed, the given weights
    /// whose names and shapes still fit are kept and the rest get defaults from `newSpec.seed`, and an initial state
    /// that no longer fits becomes the zero state (the summary says what happened; nil when the cells did not
    /// change). `transposeInputs` swaps the inputs' first two axes (a `time_major` toggle). Errors name this file
    /// and `cell`.
    public func edited(spec newSpec: ExperimentSpec, transposeInputs: Bool = false) throws -> (experiment: LoadedExperiment, summary: EditSummary?) {
        let inputs = transposeInputs ? self.inputs.transposedFirstTwo() : self.inputs
        let cellsChanged = newSpec.cell != spec.cell || newSpec.cellBackward != spec.cellBackward || newSpec.bidirectional != spec.bidirectional
        guard cellsChanged else {
            return (LoadedExperiment(spec: newSpec, file: file, inputs: inputs, store: store,
                                     initialState: initialState, initialStateBackward: initialStateBackward), nil)
        }
        // Which given weights the new cells ask for under the same names and shapes.
        let probe = VariableStore<Scalar>(arrays: store.arrays, missing: .initialize(seed: newSpec.seed))
        probe.strict = false
        for direction in newSpec.directions {
            try ExperimentError.located(file: file, field: "cell") {
                try newSpec.cell(for: direction).makeCell(store: probe).build(inputDepth: inputDepth, scope: newSpec.scope(for: direction))
            }
        }
        var kept: [String: Tensor<Scalar>] = [:]
        var seeded = 0
        for r in probe.requests {
            if r.foundShape == r.expectedShape, let a = store.arrays[r.name] { kept[r.name] = a } else { seeded += 1 }
        }
        func fitting(_ state: Nest<Tensor<Scalar>>?, _ direction: Direction) -> Nest<Tensor<Scalar>>? {
            guard let state else { return nil }
            let sizes = newSpec.cell(for: direction).stateSize
            guard state.sameStructure(as: sizes),
                  zip(state.flattened, sizes.flattened).allSatisfy({ $0.shape == [batchSize, $1] }) else { return nil }
            return state
        }
        let states = [fitting(initialState, .forward), fitting(initialStateBackward, .backward)]
        let dropped = zip([Direction.forward, .backward], zip([initialState, initialStateBackward], states))
            .filter { $0.1.0 != nil && $0.1.1 == nil }.map(\.0)
        let edited = LoadedExperiment(spec: newSpec, file: file, inputs: inputs,
                                      store: VariableStore(arrays: kept, missing: .initialize(seed: newSpec.seed)),
                                      initialState: states[0], initialStateBackward: states[1])
        return (edited, EditSummary(keptWeights: kept.count, seededWeights: seeded, droppedInitialStates: dropped))
    }
}
