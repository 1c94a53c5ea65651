import Foundation
import RNNEngine

/// An HDF5 file as an `ArrayArchive`: its float datasets under their full paths (`layers/lstm/cell/vars/0`), what
/// `ArrayArchives.open` gives for a `.weights.h5` (or `.h5`) file. An experiment under the keras convention reads it
/// through `KerasWeightsArchive`, which serves the same datasets under the convention's names.
final class HDF5Archive: ArrayArchive {
    let url: URL
    let file: HDF5File
    let keys: [String]

    init(_ url: URL) throws {
        self.url = url
        do {
            file = try HDF5File(path: url.path)
            keys = try file.datasets(under: "")
        } catch let p as HDF5File.Problem {
            throw p.numpyError(url)
        }
    }

    func info(_ key: String) throws -> NpzArchive.ArrayInfo {
        do { return try file.info(key).arrayInfo } catch let p as HDF5File.Problem { throw p.numpyError(url) }
    }

    func array(_ key: String, maxBytes: Int) throws -> NumpyArray {
        do { return try file.array(key, maxBytes: maxBytes) } catch let p as HDF5File.Problem { throw p.numpyError(url) }
    }

    func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        try servedArrays(self, keys, maxBytes: maxBytes)
    }
}

extension HDF5File.Problem {
    /// As an archive's error: the HDF5 path as its subject (the file's name for the file itself).
    func numpyError(_ url: URL) -> NumpyError { NumpyError(path.isEmpty ? url.lastPathComponent : path, problem) }
}

/// The arrays under `keys` of `archive`, their declared sizes checked together against `maxBytes` first.
private func servedArrays(_ archive: any ArrayArchive, _ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
    var total = 0
    for key in keys {
        total += try archive.info(key).byteCount
        guard total <= maxBytes else {
            throw NumpyError(archive.url.lastPathComponent, "the arrays asked for need more than the \(formatBytes(Double(maxBytes))) allowed")
        }
    }
    var out: [String: NumpyArray] = [:]
    for key in keys { out[key] = try archive.array(key, maxBytes: maxBytes) }
    return out
}

/// A Keras file's weights under the keras convention's names (`rnn/lstm_cell/kernel`, `rnn_0/...`,
/// `bidirectional/forward_rnn/...`, `embedding/embeddings`, see `KerasLayout`): each name is a dataset of the
/// HDF5 file, or zeros for the bias of a layer saved with `use_bias=False` (Keras adds no bias; adding zeros gives
/// the same numbers, so the engine's cells need no bias-less variant).
final class KerasWeightsArchive: ArrayArchive {
    enum Source {
        case dataset(String)
        case zeros(NpzArchive.ArrayInfo)
    }

    let url: URL
    let file: HDF5File
    let keys: [String]
    private let sources: [String: Source]

    init(url: URL, file: HDF5File, sources: [(String, Source)]) {
        self.url = url
        self.file = file
        keys = sources.map(\.0)
        self.sources = Dictionary(sources, uniquingKeysWith: { a, _ in a })
    }

    private func source(_ key: String) throws -> Source {
        guard let s = sources[key] else {
            throw NumpyError(url.lastPathComponent, "no weight \(key); \(ClosestNames.found(keys, closestTo: key))")
        }
        return s
    }

    func info(_ key: String) throws -> NpzArchive.ArrayInfo {
        switch try source(key) {
        case let .dataset(path):
            do { return try file.info(path).arrayInfo } catch let p as HDF5File.Problem { throw p.numpyError(url) }
        case let .zeros(info): return info
        }
    }

    func array(_ key: String, maxBytes: Int) throws -> NumpyArray {
        switch try source(key) {
        case let .dataset(path):
            do { return try file.array(path, maxBytes: maxBytes) } catch let p as HDF5File.Problem { throw p.numpyError(url) }
        case let .zeros(info):
            guard info.byteCount <= maxBytes else { throw NumpyError(url.lastPathComponent, "\(key) needs more than the \(formatBytes(Double(maxBytes))) allowed") }
            let count = info.shape.reduce(1, *)
            return info.dtype == .float64 ? try NumpyArray([Double](repeating: 0, count: count), shape: info.shape)
                                          : try NumpyArray([Float](repeating: 0, count: count), shape: info.shape)
        }
    }

    func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        try servedArrays(self, keys, maxBytes: maxBytes)
    }
}

/// Where Keras 3 keeps a layer's weights in a `.weights.h5` or a `.keras` archive's `model.weights.h5`, and how a
/// legacy tf-keras `.h5` names them: the one place these paths are known.
enum KerasWeightPaths {
    /// Keras' `to_snake_case` of a class name (`SimpleRNN` → `simple_rnn`, `InputLayer` → `input_layer`,
    /// `Conv1D` → `conv1d`): the group name of a layer in Keras 3's weights files.
    static func snakeCase(_ className: String) -> String {
        var name = className.replacingOccurrences(of: "\\W+", with: "", options: .regularExpression)
        name = name.replacingOccurrences(of: "(.)([A-Z][a-z]+)", with: "$1_$2", options: .regularExpression)
        name = name.replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression)
        return name.lowercased()
    }

    /// The group names of layers of the given classes, in layer order: `lstm`, `gru`, `lstm_1` (Keras numbers each
    /// class's second, third, ... layer).
    static func groupNames(_ classNames: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return classNames.map { c in
            let base = snakeCase(c)
            let n = seen[base, default: 0]
            seen[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// The Keras layer class running a cell kind (`LSTM`, `GRU`, `SimpleRNN`); nil for a kind Keras lacks.
    static func layerClass(_ kind: CellKind) -> String? {
        switch kind.descriptor.kerasCellName {
        case "lstm_cell": return "LSTM"
        case "gru_cell": return "GRU"
        case "simple_rnn_cell": return "SimpleRNN"
        default: return nil
        }
    }

    /// The sources of a Keras 3 layer's cell weights: `group/cell/vars/0..2` served under the keras convention's
    /// names of `layer` (kernel, recurrent kernel, bias: Keras' own order); a missing bias (`use_bias=False`) is zeros
    /// when `useBias` is false or unknown (nil: a `.weights.h5`, where two variables mean no bias), and refused when
    /// the config says there is one. A missing kernel names what the group holds.
    static func cellSources(file: HDF5File, group: String, layer: RNNModel.Layer, in model: RNNModel, useBias: Bool?,
                            what: String) throws -> [(String, KerasWeightsArchive.Source)] {
        let names = try KerasLayout.arrays(layer, in: model)
        var out: [(String, KerasWeightsArchive.Source)] = []
        let vars = group + "/cell/vars"
        guard file.kind(group) == .group else {
            let parent = group.split(separator: "/").dropLast().joined(separator: "/")
            let found = (try? file.children(parent)) ?? []
            throw HDF5File.Problem(path: group, problem: "no such group (where Keras keeps \(what)); \(ClosestNames.found(found.map { parent.isEmpty ? $0 : parent + "/" + $0 }, closestTo: group))")
        }
        for (i, entry) in names.enumerated() {
            let path = "\(vars)/\(i)"
            if file.kind(path) == .dataset {
                out.append((entry.name, .dataset(path)))
                continue
            }
            if i == 2, useBias != true {
                let dtype = (try? file.info(vars + "/0").dtype) ?? .float32
                out.append((entry.name, .zeros(NpzArchive.ArrayInfo(dtype: dtype, shape: entry.shape, byteCount: entry.shape.reduce(dtype.byteWidth, *)))))
                continue
            }
            let found = (try? file.datasets(under: group)) ?? []
            let role = ["kernel", "recurrent_kernel", "bias"][min(i, 2)]
            throw HDF5File.Problem(path: path, problem: "missing: the \(role) of \(what); \(ClosestNames.found(found, closestTo: path))")
        }
        return out
    }

    /// A layer's place in a `.weights.h5`: its group, what messages call it, and the `name` attributes Keras gives
    /// the layer's and the cell's `vars` groups.
    struct LayerGroup {
        let layer: RNNModel.Layer
        let group: String
        let what: String
        let layerName: String
        let cellName: String
    }

    /// Where Keras' `load_weights` looks for the experiment's `model` (its cells): the i-th cell in `layers/lstm`,
    /// `layers/gru`, `layers/lstm_1`, ...; a bidirectional model's `layers/bidirectional/forward_layer` and
    /// `backward_layer`. The one place the `.weights.h5` layout is known (read and written from it).
    static func layerGroups(model: RNNModel) throws -> [LayerGroup] {
        let layers = model.layers(inputDepth: 1)
        let classes = try layers.map { layer -> String in
            guard let kind = layer.spec.unwrappedLayer?.kind, let c = layerClass(kind) else {
                throw HDF5File.Problem(path: "layers", problem: "cell \(layer.index) (\(layer.spec.summary)) has no Keras layer")
            }
            return c
        }
        let cellNames = layers.map { $0.spec.unwrappedLayer.map { KerasLayout.cellName($0.kind) } ?? "" }
        if model.bidirectional {
            guard layers.allSatisfy({ $0.index == 0 }) else {
                throw HDF5File.Problem(path: "layers/bidirectional", problem: "Keras' Bidirectional wraps one layer; the experiment's cell is a stack")
            }
            return layers.enumerated().map { i, layer in
                let forward = layer.direction == .forward
                return LayerGroup(layer: layer, group: "layers/bidirectional/" + (forward ? "forward_layer" : "backward_layer"),
                                  what: "the \(forward ? "forward" : "backward") layer of Bidirectional",
                                  layerName: (forward ? "forward_" : "backward_") + snakeCase(classes[i]), cellName: cellNames[i])
            }
        }
        let groups = groupNames(classes)
        return layers.enumerated().map { i, layer in
            LayerGroup(layer: layer, group: "layers/" + groups[i], what: "cell \(i) (\(classes[i]))", layerName: groups[i], cellName: cellNames[i])
        }
    }

    /// The sources of a `.weights.h5` for the experiment's `model`, where `layerGroups` puts them.
    static func weightsFileSources(file: HDF5File, model: RNNModel) throws -> [(String, KerasWeightsArchive.Source)] {
        try layerGroups(model: model).flatMap { g in
            try cellSources(file: file, group: g.group, layer: g.layer, in: model, useBias: nil, what: g.what)
        }
    }
}
