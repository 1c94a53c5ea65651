import Experiment
import Foundation
import RNNEngine

extension Session {
    /// Every variable the open model's cells use, by the engine's (TF) name: given ones and seeded defaults.
    static func engineVariables(_ e: LoadedExperiment<Scalar>) throws -> [String: Tensor<Scalar>] {
        var engine: [String: Tensor<Scalar>] = [:]
        for layer in e.spec.model.layers(inputDepth: e.inputDepth) {
            try layer.spec.makeCell(store: e.store).build(inputDepth: layer.inputDepth, scope: layer.scope)
        }
        for r in e.store.requests { engine[r.name] = try e.store.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
        return engine
    }

    /// The same model run under `convention`: cells and weights converted by the Experiment module's
    /// `WeightLayouts` (exact copies and reorders; TF's `forget_bias` folds into the bias), the same inputs and
    /// initial state. Throws the reason where the framework cannot hold the model or refuses the lengths.
    func switched(to convention: Convention) throws -> (session: ExplorerSession, note: String) {
        let e = experiment, a = spec.model, depth = e.inputDepth
        func fail(_ field: String, _ error: Error) -> Error {
            if let r = error as? RNNError { return ExperimentError(file: e.file, field: field, r.description) }
            return error
        }
        let converted: (model: RNNModel, arrays: [(name: String, tensor: Tensor<Scalar>)])
        let engine: [String: Tensor<Scalar>]
        do {
            let variables = try Self.engineVariables(e)
            converted = try WeightLayouts.convert(model: a, inputDepth: depth, lookup: { variables[$0] }, engineNames: true, to: convention)
            let named = Dictionary(converted.arrays.map { ($0.name, $0.tensor) }, uniquingKeysWith: { x, _ in x })
            engine = try WeightLayouts.engineArrays(model: converted.model, inputDepth: depth, lookup: { named[$0] })
        } catch {
            throw fail("convention", error)
        }
        do {
            try convention.checkSequenceLength(spec.sequenceLength, maxTime: e.maxTime)
        } catch {
            throw fail("sequence_length", error)
        }
        var newSpec = spec
        newSpec.convention = convention
        newSpec.cell = converted.model.cell
        newSpec.cellBackward = converted.model.cellBackward
        let loaded = LoadedExperiment(spec: newSpec, file: e.file, inputs: e.inputs, store: VariableStore(arrays: engine, missing: .fail),
                                      initialState: e.initialState, initialStateBackward: e.initialStateBackward)
        let session = try loaded.located { try Session(loaded) }
        var note = "weights converted to \(convention.frameworkPossessive) names and layouts"
        if converted.model.cell != a.cell { note += " (forget_bias folded into the forget gate's bias)" }
        return (session, note)
    }
}

extension Session {
    /// Weights under Keras' or PyTorch's names (or TF's, into a keras or torch experiment): the experiment switched
    /// to the convention the names belong to (`LoadedExperiment.withWeights`), the weights read strictly.
    func withFrameworkWeights(_ arrays: [String: NumpyArray], from file: String) throws -> (session: ExplorerSession, note: String) {
        let (loaded, convention) = try experiment.withWeights(arrays, file: file)
        let session = try loaded.located { try Session(loaded) }
        let note = "recognised \(convention.frameworkPossessive) names: loaded weights from \(file) for the \(convention.rawValue) convention"
            + (convention == spec.convention ? "" : " (now run as \(convention.frameworkName) runs it)")
        return (session, note)
    }
}

extension Session {
    /// The weights under the convention's framework's names (what a saved keras or torch experiment refers to).
    func frameworkWeightArrays() throws -> [(String, NumpyArray)] {
        let variables = try Self.engineVariables(experiment)
        return try WeightLayouts.frameworkArrays(model: spec.model, inputDepth: inputDepth, engine: variables)
            .map { ($0.name, try NumpyArray($0.tensor)) }
    }

    /// PyTorch's `initial_state/h_0` (and `c_0`), empty for a zero state.
    func torchInitialStateArrays() throws -> [(String, NumpyArray)] {
        let given = [experiment.initialState, experiment.initialStateBackward].prefix(spec.directions.count)
        guard given.contains(where: { $0 != nil }) else { return [] }
        let states = try zip(spec.directions, given).map { d, s in
            try s ?? spec.cell(for: d).makeCell(store: VariableStore<Scalar>()).zeroState(batchSize: batchSize)
        }
        let stacked = try TorchStateLayout.stack(states, model: spec.model)
        return [("initial_state/h_0", try NumpyArray(stacked.h))] + (try stacked.c.map { [("initial_state/c_0", try NumpyArray($0))] } ?? [])
    }
}

/// The comparison view's background comparison, for one session generation and pair of conventions.
struct ComparisonCache {
    var key: (generation: Int, other: Convention)?
    var comparison: ComparisonRun?
}

extension ExplorerModel {
    /// The comparison of the open experiment with `other` (started in the background on first use).
    public func comparison(with other: Convention) -> ComparisonRun {
        if let c = comparisonCache.comparison, let k = comparisonCache.key, k.generation == generation, k.other == other { return c }
        let c = session.comparison(with: other)
        comparisonCache = ComparisonCache(key: (generation, other), comparison: c)
        return c
    }

    /// Runs the open experiment under `convention` (the model converted). Returns a note for the message line.
    public func switchConvention(to convention: Convention) throws -> String {
        let (s, note) = try session.switched(to: convention)
        replaceSession(s)
        return note
    }
}
