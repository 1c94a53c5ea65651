import Foundation
import RNNEngine

/// An experiment that names a Keras model file (`{"model": "NAME.keras" | "NAME.h5", "inputs": ...}`): the file's
/// layers become the keras-convention experiment they are equivalent to (cells parsed by the same code as the JSON
/// form), its weights are served under the convention's names (`KerasWeightsArchive`), `Masking` becomes
/// `mask_value`, and an `Embedding` looks the integer ids of `inputs` up (its `mask_zero` mask where an id is 0).
/// Also: a `.weights.h5` named by `"weights"` under the keras convention, read where Keras' `load_weights` looks.
extension ExperimentSpec {
    /// What an experiment naming a Keras model may give besides the model.
    static let kerasModelFields = ["name", "description", "convention", modelField, "inputs", "sequence_length", "mask",
                                   "initial_state", "dtype", "time_major"]

    static func parseKerasModel(_ r: FieldReader, path: String, baseDirectory: URL?) throws -> ExperimentSpec {
        for key in fieldsOfTheModel + ["mask_value"] where r.has(key) && key != "initial_state" {
            throw r.fail(key, "not with a Keras model file: the model gives its cells, direction, weights and mask layers")
        }
        try r.onlyKeys(kerasModelFields)
        if let c = try r.string("convention"), c != Convention.keras.rawValue {
            throw r.fail("convention", "a Keras model runs under \"keras\", not \"\(c)\"")
        }
        guard let base = baseDirectory else { throw r.fail(modelField, "a model file is read only from an experiment file's folder") }
        guard let inputs = try r.string("inputs") else {
            throw r.fail("inputs", "missing: the .npz holding the model's inputs as \"inputs\" (integer ids for an Embedding)")
        }
        let model: KerasModelFile
        do {
            let folder = URL(fileURLWithPath: base.path, isDirectory: true)
            model = try KerasModelFile(url: URL(fileURLWithPath: path, relativeTo: folder).standardizedFileURL)
        } catch let p as KerasModelFile.Problem {
            throw r.fail(modelField, "\(path): \(p.description)")
        }
        if let m = model.maskLayer {
            for key in ["sequence_length", "mask"] where r.has(key) && r.object[key] != .null {
                throw r.fail(key, "the model computes its own mask (\(m.label)); give no \(key) with it (never both)")
            }
        }
        if let d = try r.string("dtype"), d != model.dtype.rawValue {
            throw r.fail("dtype", "is \(d), but the model computes in \(model.dtype.rawValue)")
        }
        var object = r.object
        object[modelField] = nil
        object["convention"] = .string(Convention.keras.rawValue)
        object["dtype"] = .string(model.dtype.rawValue)
        object["weights"] = .string(path)
        let cells = model.recurrent.map(\.cell)
        if model.bidirectional {
            object["bidirectional"] = .bool(true)
            object["cell"] = cells[0]
            if let bw = model.recurrent[0].backwardCell { object["cell_bw"] = bw }
        } else {
            object["cell"] = cells.count == 1 ? cells[0] : .object(["type": .string("multi"), "cells": .array(cells)], order: ["type", "cells"])
        }
        if let m = model.masking { object["mask_value"] = .double(m.value) }
        if model.embedding != nil { object["inputs"] = .string(embeddedInputsName(inputs, model: path)) }
        if model.embedding?.maskZero == true { object["mask"] = .string(maskZeroName(inputs, model: path)) }
        var spec: ExperimentSpec
        do {
            spec = try parse(FieldReader(file: r.file, path: "", value: .object(object, order: object.keys.sorted())))
        } catch let e as ExperimentError where ["cell", "bidirectional", "weights", "mask_value"].contains(where: { e.field.hasPrefix($0) }) {
            throw r.fail(modelField, "\(path): the model's \(e.field): \(e.message)")
        }
        spec.modelFile = path
        spec.kerasModel = model
        spec.kerasInputs = inputs
        return spec
    }

    /// The names under which the looked-up inputs and the `mask_zero` mask of an Embedding model are served.
    private static func embeddedInputsName(_ inputs: String, model: String) -> String { "\(inputs) (ids looked up in \(model)'s Embedding)" }
    private static func maskZeroName(_ inputs: String, model: String) -> String { "\(inputs) (mask_zero of \(model)'s Embedding)" }

    /// Serves a Keras file's arrays to `arrays`: a model file's weights (and its Embedding's looked-up inputs and
    /// mask), or a `.weights.h5` named by `"weights"` under the keras convention, both under the convention's names.
    func provideKerasArrays<Scalar>(to arrays: ExperimentArrays<Scalar>) throws {
        guard convention == .keras, let path = weights else { return }
        let url = URL(fileURLWithPath: path, relativeTo: arrays.baseDirectory).standardizedFileURL
        guard let model = kerasModel else {
            guard path.hasSuffix(".weights.h5") else { return }
            do {
                let file = try HDF5File(path: url.path)
                arrays.install(path, KerasWeightsArchive(url: url, file: file, sources: try KerasWeightPaths.weightsFileSources(file: file, model: self.model)))
            } catch let p as HDF5File.Problem {
                throw ExperimentError(file: arrays.file, field: "weights", "\(path): \(p.description)")
            }
            return
        }
        do {
            arrays.install(path, try model.weightsArchive(model: self.model))
        } catch let p as KerasModelFile.Problem {
            throw ExperimentError(file: arrays.file, field: "model", "\(path): \(p.description)")
        }
        guard let e = model.embedding, let idsFile = kerasInputs, let inputs else { return }
        let table: NumpyArray
        do {
            guard let t = try model.embeddingTable() else { return }
            table = t
        } catch let p as KerasModelFile.Problem {
            throw ExperimentError(file: arrays.file, field: "model", "\(path): \(p.description)")
        }
        func fail(_ text: String) -> ExperimentError { ExperimentError(file: arrays.file, field: "inputs", "\(idsFile): \(text)") }
        guard try arrays.keys("inputs", idsFile).contains("inputs") else {
            throw fail("has no array named \"inputs\" (the integer ids \(e.layer.label) looks up); \(ClosestNames.found(try arrays.keys("inputs", idsFile), closestTo: "inputs"))")
        }
        let info = try arrays.info("inputs", idsFile, "inputs")
        guard info.dtype == .int32 || info.dtype == .int64 else {
            throw fail("inputs has dtype \(info.dtype.rawValue); \(e.layer.label) takes integer ids (int32 or int64)")
        }
        guard info.shape.count == 2 else {
            throw fail("inputs has shape \(formatShape(info.shape)); \(e.layer.label) takes ids of rank 2, \(timeMajor ? "[time, batch]" : "[batch, time]")")
        }
        // The looked-up inputs: one row of the table per id, in the table's dtype; checked before allocating.
        let count = info.shape[0] * info.shape[1]
        let (bytes, overflow) = count.multipliedReportingOverflow(by: e.outputDim * table.dtype.byteWidth)
        guard !overflow, bytes <= MemoryBudget.byteLimit else {
            throw fail("looking up \(formatShape(info.shape)) ids in a table of width \(e.outputDim) needs more than the \(formatBytes(Double(MemoryBudget.byteLimit))) allowed")
        }
        guard let ids = try arrays.array("inputs", idsFile, "inputs") else { throw fail("has no array named \"inputs\"") }
        let values = ids.asInts()
        if let i = values.firstIndex(where: { $0 < 0 || $0 >= e.inputDim }) {
            let (a, b) = (i / info.shape[1], i % info.shape[1])
            throw fail("inputs[\(a), \(b)] = \(values[i]) is outside [0, \(e.inputDim)), the ids \(e.layer.label) (input_dim \(e.inputDim)) looks up")
        }
        let shape = info.shape + [e.outputDim]
        let looked: NumpyArray
        switch table.storage {
        case let .float64(t):
            looked = try NumpyArray(values.flatMap { t[($0 * e.outputDim)..<(($0 + 1) * e.outputDim)] }, shape: shape)
        case let .float32(t):
            looked = try NumpyArray(values.flatMap { t[($0 * e.outputDim)..<(($0 + 1) * e.outputDim)] }, shape: shape)
        default:
            throw fail("the Embedding table is not float")
        }
        arrays.provide(inputs, ["inputs": looked])
        if e.maskZero, let maskName = mask {
            // Batch-major [batch, time] whatever the layout, true where the id is not 0.
            let (batch, time) = timeMajor ? (info.shape[1], info.shape[0]) : (info.shape[0], info.shape[1])
            var valid = [UInt8](repeating: 0, count: batch * time)
            for b in 0..<batch {
                for t in 0..<time { valid[b * time + t] = values[timeMajor ? t * batch + b : b * time + t] != 0 ? 1 : 0 }
            }
            arrays.provide(maskName, ["mask": try NumpyArray(shape: [batch, time], storage: .bool(valid))])
        }
    }

    /// The results of a Keras model whose Bidirectional merges its outputs (`merge_mode` concat, sum, mul or ave):
    /// `outputs/0` and `outputs/1` become `outputs`, merged as Keras merges them; states unchanged.
    func mergedKerasResults(_ results: [(String, NumpyArray)]) throws -> [(String, NumpyArray)] {
        guard let mode = kerasModel?.mergeMode,
              let f = results.first(where: { $0.0 == "outputs/0" })?.1, let b = results.first(where: { $0.0 == "outputs/1" })?.1 else { return results }
        func merge<T: BinaryFloatingPoint>(_ x: [T], _ y: [T]) -> [T] {
            switch mode {
            case "sum": return zip(x, y).map { $0 + $1 }
            case "mul": return zip(x, y).map { $0 * $1 }
            case "ave": return zip(x, y).map { ($0 + $1) / 2 }
            default:
                let w = f.shape.last ?? 0
                let rows = x.count / max(w, 1)
                var out: [T] = []
                out.reserveCapacity(2 * x.count)
                for r in 0..<rows { out += x[(r * w)..<((r + 1) * w)]; out += y[(r * w)..<((r + 1) * w)] }
                return out
            }
        }
        let shape = mode == "concat" ? Array(f.shape.dropLast()) + [2 * (f.shape.last ?? 0)] : f.shape
        let merged: NumpyArray
        switch (f.storage, b.storage) {
        case let (.float32(x), .float32(y)): merged = try NumpyArray(merge(x, y), shape: shape)
        case let (.float64(x), .float64(y)): merged = try NumpyArray(merge(x, y), shape: shape)
        default: return results
        }
        return [("outputs", merged)] + results.filter { !$0.0.hasPrefix("outputs/") }
    }

    /// What a Keras model's experiment gives besides the model, as `jsonData` writes it: the ids file (not the
    /// looked-up inputs served under another name), the initial state and an experiment's mask.
    func writeKerasModelFields(into d: inout [String: Any]) {
        guard let model = kerasModel else { return }
        d["convention"] = Convention.keras.rawValue
        if let i = kerasInputs { d["inputs"] = i }
        if let s = initialState { d["initial_state"] = s }
        if model.embedding?.maskZero != true, let m = mask { d["mask"] = m }
    }

    /// The line `unroll run` prints on stderr when the model's head is skipped.
    public var modelNote: String? { kerasModel?.skippedNote }
}
