import Foundation
import RNNEngine

/// An experiment rewritten for another convention: the same model under the other framework's names and layouts
/// (`WeightLayouts.convert`), the same inputs, and the initial state in that framework's structure. What
/// `unroll convert` writes, and what the explorer runs when it switches conventions.
public enum ExperimentConversion {
    /// The converted experiment (its arrays all in `npzName`, relative to where it will be written) and the arrays.
    public static func convert(_ url: URL, displayName: String? = nil, to convention: Convention,
                               npzName: String) throws -> (spec: ExperimentSpec, arrays: [(String, NumpyArray)]) {
        let name = displayName ?? url.path
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        try checkLoss(spec, file: name, to: convention)
        let base = url.deletingLastPathComponent()
        func convert<S: RNNScalar>(_: S.Type) throws -> (spec: ExperimentSpec, arrays: [(String, NumpyArray)]) {
            try Self.convert(ExperimentLoader.load(spec, file: name, baseDirectory: base, as: S.self, converting: true), to: convention, npzName: npzName)
        }
        return try convert(spec.dtype.scalarType)
    }

    /// Refuses (field `loss`) a loss that would not mean the same under `convention`: a loss file's cotangents, a
    /// state's name and an output unit are named or counted as `spec`'s convention does (TF's `"h"` is PyTorch's
    /// `"h_n"`, and `run` would refuse it). `{"sum": "outputs"}` means the same in every convention and is kept.
    static func checkLoss(_ spec: ExperimentSpec, file: String, to convention: Convention) throws {
        guard let loss = spec.loss, loss != .sumOfOutputs, convention != spec.convention else { return }
        throw ExperimentError(file: file, field: "loss",
                              "cannot convert this loss to the \(convention.rawValue) convention: it names arrays or units as the \(spec.convention.rawValue) convention does; convert without it (or with {\"sum\": \"outputs\"}, the same in every convention), then give the \(convention.rawValue) form")
    }

    /// `loaded` run under `convention`, ready to run: the model converted (`spec.convention`, `cell`, `cell_bw`;
    /// TF's `forget_bias` folded into the bias where the framework has no such term), its weights as the
    /// engine's variables of the converted cells, the same inputs and initial state; and the weights under the
    /// framework's names. Throws (field `convention`) where the framework cannot hold the model. The lengths are
    /// not checked here: `convention.checkSequenceLength` says whether the framework accepts them.
    public static func converted<S: RNNScalar>(_ loaded: LoadedExperiment<S>, to convention: Convention) throws
        -> (experiment: LoadedExperiment<S>, frameworkArrays: [(name: String, tensor: Tensor<S>)]) {
        let spec = loaded.spec, depth = loaded.inputDepth
        let engine = try loaded.engineVariablesByName()
        let (model, arrays, variables) = try ExperimentError.located(file: loaded.file, field: "convention") {
            let c = try WeightLayouts.convert(model: spec.model, inputDepth: depth, lookup: { engine[$0] }, engineNames: true, to: convention)
            let named = Dictionary(c.arrays.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
            return (c.model, c.arrays, try WeightLayouts.engineArrays(model: c.model, inputDepth: depth, lookup: { named[$0] }))
        }
        var out = spec
        out.convention = convention
        out.cell = model.cell
        out.cellBackward = model.cellBackward
        // The mask the layers get goes with the model (Masking's as a mask where the framework has no Masking).
        if convention != .keras, spec.maskValue != nil {
            out.maskValue = nil
            out.mask = loaded.stepMask == nil ? nil : LoadedExperiment<S>.editedMaskName
        }
        var experiment = LoadedExperiment(spec: out, file: loaded.file, inputs: loaded.inputs,
                                          store: VariableStore(arrays: variables, missing: .fail),
                                          initialState: loaded.initialState, initialStateBackward: loaded.initialStateBackward,
                                          inputShape: loaded.inputShape)
        experiment.stepMask = loaded.stepMask
        return (experiment, arrays)
    }

    /// `convert` for a loaded experiment.
    public static func convert<S: RNNScalar>(_ loaded: LoadedExperiment<S>, to convention: Convention,
                                             npzName: String) throws -> (spec: ExperimentSpec, arrays: [(String, NumpyArray)]) {
        let spec = loaded.spec
        let (target, weights) = try converted(loaded, to: convention)
        try ExperimentError.located(file: loaded.file, field: "sequence_length") {
            do {
                try convention.checkSequenceLength(spec.sequenceLength, maxTime: loaded.maxTime)
            } catch let e as RNNError {
                throw RNNError.badSequenceLength("cannot convert to the \(convention.rawValue) convention because \(e.description)")
            }
        }
        var arrays: [(String, NumpyArray)] = try weights.map { ($0.name, try NumpyArray($0.tensor)) }
        arrays.append(("inputs", try NumpyArray(loaded.inputs)))
        let states = try target.initialStateArrays()
        arrays += states
        var out = target.spec
        out.forgetModelFile()   // the converted experiment is its cells and weights, not the model file it was read from
        // The mask as the layers get it, written as "mask" (Masking's too): the other framework must express it.
        // Keras' dropped Masking mask (with an initial state) converts as no mask, the run Keras made.
        out.maskValue = convention == .keras ? spec.maskValue : nil
        if let mask = loaded.stepMask {
            if !convention.takesAnyMask, let (example, steps) = mask.firstNonPrefix.map({ ($0.example, $0.maskedSteps) }) {
                throw ExperimentError(file: loaded.file, field: loaded.maskField,
                                      "cannot convert: " + convention.maskRefusal(example: example, maskedSteps: steps))
            }
            arrays.append(("mask", try NumpyArray(shape: [mask.batchSize, mask.maxTime], storage: .bool(mask.valid.map { $0 ? 1 : 0 }))))
            out.mask = npzName
            out.maskValue = nil
        }
        // The converted experiment is the JSON form, every array in its .npz: no longer a model file's (a Keras
        // Embedding's ids are written looked up, as the recurrent layers see them).
        out.modelFile = nil
        out.onnxModel = nil
        out.kerasModel = nil
        out.kerasInputs = nil
        out.weights = npzName
        out.torchModule = nil  // The weights are now the .npz's, under the framework's bare names.
        out.inputs = npzName
        out.batchSize = nil
        out.maxTime = nil
        out.inputDepth = nil
        out.initialState = states.isEmpty ? nil : npzName
        let note = "converted from the \(spec.convention.rawValue) convention by unroll convert"
        out.description = spec.description.isEmpty ? note : spec.description + " (" + note + ")"
        return (out, arrays)
    }
}
