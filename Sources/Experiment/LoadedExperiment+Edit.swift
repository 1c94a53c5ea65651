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
        /// Per layer of the new cells (every direction, forward first): the given weights it kept (under its new
        /// scope when it moved) and the weights it got from the seed.
        public var layers: [LayerWeights] = []
    }

    /// What one layer of edited cells kept of the given weights.
    public struct LayerWeights: Equatable, Sendable {
        public let direction: Direction
        public let index: Int
        /// The layer's variable scope in the edited cells.
        public let scope: String
        /// The layer it was before the edit (nil for a new layer).
        public let origin: Int?
        public let kept: Int
        public let seeded: Int
    }

    /// The experiment with an edited spec (a stack, cell or length edit): when the cells changed, the given weights
    /// whose names and shapes still fit are kept and the rest get defaults from `newSpec.seed`, and an initial state
    /// that no longer fits becomes the zero state (the summary says what happened; nil when the cells did not
    /// change). `transposeInputs` swaps the inputs' first two axes (a `time_major` toggle). `layerOrigins` says, per
    /// direction, which layer of the old cells each new layer is (nil: a new layer): its given weights move to the
    /// new layer's scope (a layer added before it, or moved, keeps its weights). Errors name this file and `cell`.
    /// `inputs` replaces the inputs (a data edit: `reshaped`); a new input depth asks the cells for their weights
    /// again, as an edit of the cells does. The step mask stays (`withMask` changes it).
    public func edited(spec newSpec: ExperimentSpec, transposeInputs: Bool = false,
                       layerOrigins: [Direction: [Int?]] = [:], inputs newInputs: Tensor<Scalar>? = nil) throws -> (experiment: LoadedExperiment, summary: EditSummary?) {
        let inputs = newInputs ?? (transposeInputs ? self.inputs.transposedFirstTwo() : self.inputs)
        let inputDepth = inputs.shape.last ?? self.inputDepth
        let batchSize = inputs.rank > 1 ? inputs.shape[newSpec.timeMajor ? 1 : 0] : self.batchSize
        let cellsChanged = newSpec.cell != spec.cell || newSpec.cellBackward != spec.cellBackward || newSpec.bidirectional != spec.bidirectional
            || inputDepth != self.inputDepth
        guard cellsChanged else {
            var same = LoadedExperiment(spec: newSpec, file: file, inputs: inputs, store: store,
                                        initialState: initialState, initialStateBackward: initialStateBackward)
            same.stepMask = stepMask
            // A loss's cotangents keep their meaning while the inputs keep their layout and shape.
            if !transposeInputs && newInputs == nil { same.lossArrays = lossArrays }
            return (same, nil)
        }
        // The given weights under the names the new cells give them: a layer's weights follow it to its new scope.
        let oldLayers = spec.model.layers(inputDepth: self.inputDepth), newLayers = newSpec.model.layers(inputDepth: inputDepth)
        var given = store.arrays
        for (direction, origins) in layerOrigins {
            let moves: [(from: String, to: String)] = origins.enumerated().compactMap { i, origin in
                guard let origin, let old = oldLayers.first(where: { $0.direction == direction && $0.index == origin }),
                      let new = newLayers.first(where: { $0.direction == direction && $0.index == i }), old.scope != new.scope else { return nil }
                return (old.scope + "/", new.scope + "/")
            }
            guard !moves.isEmpty else { continue }
            // Every moved layer's arrays leave their old names before any arrives (layers may swap places).
            let moving = store.arrays.filter { name, _ in moves.contains { name.hasPrefix($0.from) } }
            for name in moving.keys { given[name] = nil }
            for (name, array) in moving {
                guard let move = moves.first(where: { name.hasPrefix($0.from) }) else { continue }
                given[move.to + name.dropFirst(move.from.count)] = array
            }
        }
        // Which given weights the new cells ask for under those names and shapes.
        let probe = VariableStore<Scalar>(arrays: given, missing: .initialize(seed: newSpec.seed))
        probe.strict = false
        for direction in newSpec.directions {
            try ExperimentError.located(file: file, field: "cell") {
                try newSpec.cell(for: direction).makeCell(store: probe).build(inputDepth: inputDepth, scope: newSpec.scope(for: direction))
            }
        }
        var kept: [String: Tensor<Scalar>] = [:]
        var seeded = 0
        func origin(_ l: RNNModel.Layer) -> Int? {
            if let o = layerOrigins[l.direction] { return o.indices.contains(l.index) ? o[l.index] : nil }
            return oldLayers.contains { $0.direction == l.direction && $0.index == l.index } ? l.index : nil
        }
        var perLayer = newLayers.map { LayerWeights(direction: $0.direction, index: $0.index, scope: $0.scope, origin: origin($0), kept: 0, seeded: 0) }
        for r in probe.requests {
            let fits = r.foundShape == r.expectedShape && given[r.name] != nil
            if fits, let a = given[r.name] { kept[r.name] = a } else { seeded += 1 }
            // The layer whose scope is the longest prefix of the name asked for it.
            if let i = perLayer.indices.filter({ r.name.hasPrefix(perLayer[$0].scope + "/") }).max(by: { perLayer[$0].scope.count < perLayer[$1].scope.count }) {
                let l = perLayer[i]
                perLayer[i] = LayerWeights(direction: l.direction, index: l.index, scope: l.scope, origin: l.origin,
                                           kept: l.kept + (fits ? 1 : 0), seeded: l.seeded + (fits ? 0 : 1))
            }
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
        var edited = LoadedExperiment(spec: newSpec, file: file, inputs: inputs,
                                      store: VariableStore(arrays: kept, missing: .initialize(seed: newSpec.seed)),
                                      initialState: states[0], initialStateBackward: states[1])
        edited.stepMask = stepMask
        return (edited, EditSummary(keptWeights: kept.count, seededWeights: seeded, droppedInitialStates: dropped, layers: perLayer))
    }
}
