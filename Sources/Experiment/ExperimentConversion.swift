import Foundation
import RNNEngine

/// An experiment rewritten for another convention: the same model under the other framework's names and layouts
/// (`WeightLayouts.convert`), the same inputs, and the initial state in that framework's structure. What
/// `unroll convert` writes.
public enum ExperimentConversion {
    /// The converted experiment (its arrays all in `npzName`, relative to where it will be written) and the arrays.
    public static func convert(_ url: URL, displayName: String? = nil, to convention: Convention,
                               npzName: String) throws -> (spec: ExperimentSpec, arrays: [(String, NumpyArray)]) {
        let name = displayName ?? url.path
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        let base = url.deletingLastPathComponent()
        switch spec.dtype {
        case .float32:
            return try convert(ExperimentLoader.load(spec, file: name, baseDirectory: base, as: Float.self, converting: true),
                               to: convention, npzName: npzName)
        case .float64:
            return try convert(ExperimentLoader.load(spec, file: name, baseDirectory: base, as: Double.self, converting: true),
                               to: convention, npzName: npzName)
        }
    }

    /// `convert` for a loaded experiment.
    public static func convert<S: RNNScalar>(_ loaded: LoadedExperiment<S>, to convention: Convention,
                                             npzName: String) throws -> (spec: ExperimentSpec, arrays: [(String, NumpyArray)]) {
        let spec = loaded.spec, model = spec.model, depth = loaded.inputDepth
        func located<T>(_ field: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as RNNError { throw ExperimentError(file: loaded.file, field: field, e.description) }
        }
        // The engine's variables: every layer's cell built against the loaded store (given or seeded weights).
        var engine: [String: Tensor<S>] = [:]
        try located("weights") {
            for layer in model.layers(inputDepth: depth) {
                try layer.spec.makeCell(store: loaded.store).build(inputDepth: layer.inputDepth, scope: layer.scope)
            }
            for r in loaded.store.requests { engine[r.name] = try loaded.store.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
        }
        let converted = try located("convention") {
            try WeightLayouts.convert(model: model, inputDepth: depth, lookup: { engine[$0] }, engineNames: true, to: convention)
        }
        try located("sequence_length") {
            do {
                try convention.checkSequenceLength(spec.sequenceLength, maxTime: loaded.maxTime)
            } catch let e as RNNError {
                throw RNNError.badSequenceLength("cannot convert to the \(convention.rawValue) convention because \(e.description)")
            }
        }
        var arrays: [(String, NumpyArray)] = try converted.arrays.map { ($0.name, try NumpyArray($0.tensor)) }
        arrays.append(("inputs", try NumpyArray(loaded.inputs)))
        var out = spec
        out.convention = convention
        out.cell = converted.model.cell
        out.cellBackward = converted.model.cellBackward
        out.weights = npzName
        out.inputs = npzName
        out.batchSize = nil
        out.maxTime = nil
        out.inputDepth = nil
        out.initialState = nil
        let states = [loaded.initialState, loaded.initialStateBackward].prefix(model.directions.count)
        if states.contains(where: { $0 != nil }) {
            out.initialState = npzName
            let given = try zip(model.directions, states).map { d, s in
                try s ?? located("cell") { try converted.model.cell(for: d).makeCell(store: VariableStore<S>()).zeroState(batchSize: loaded.batchSize) }
            }
            if convention == .torch {
                let stacked = try located("initial_state") { try TorchStateLayout.stack(given, model: converted.model) }
                arrays.append(("initial_state/h_0", try NumpyArray(stacked.h)))
                if let c = stacked.c { arrays.append(("initial_state/c_0", try NumpyArray(c))) }
            } else {
                for (d, s) in zip(model.directions, given) {
                    for (path, t) in s.flattenedWithPaths(under: spec.arrayName("initial_state", for: d)) { arrays.append((path, try NumpyArray(t))) }
                }
            }
        }
        let note = "converted from the \(spec.convention.rawValue) convention by unroll convert"
        out.description = spec.description.isEmpty ? note : spec.description + " (" + note + ")"
        return (out, arrays)
    }
}
