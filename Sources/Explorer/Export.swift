import Experiment
import Foundation
import RNNEngine

/// Writes the recorded frames of a finished pass: an `.npz` with one array per layer and quantity in the
/// experiment's layout (`[batch, time, n]`, or `[time, batch, n]` when `time_major`): the state after the step
/// as kept (`frames/h/layer0`, `frames/c/layer0`: masked rows copied through), the state the cell computed
/// (`frames/computed/h/layer0`), the layer's output as computed (`frames/layer_output/layer0`: what the next
/// layer reads), the input (`frames/x/layer0`), each gate (`frames/gates/i/layer0`) and the terms that went into
/// the activations (`frames/terms/f_pre/layer0`), plus `frames/output` (emitted: masked rows 0) and
/// `frames/masked`; and a CSV next to it with columns `time,example,layer,name,unit,value`. Names have no
/// spaces. Bidirectional experiments get `fw/` and `bw/` after `frames/`. Frames are recomputed in chunks.
public enum Export {
    /// Most values written to the `.npz`.
    public static let maxValues = 50_000_000
    /// Most values also written as CSV rows.
    public static let maxCSVValues = 2_000_000

    struct Series {
        var shapeTail: [Int]
        var values: [Double]
    }

    /// Exports `session`'s frames to `path` (`.npz`) and `path` with `.csv`. Returns a note.
    public static func write(session: ExplorerSession, to given: String) throws -> String {
        // A name without the extension gets it, so numpy.load finds the file under the name it expects.
        let path = given.lowercased().hasSuffix(".npz") ? given : given + ".npz"
        let npzURL = URL(fileURLWithPath: path)
        let csvURL = npzURL.deletingPathExtension().appendingPathExtension("csv")
        let time = session.maxTime, batch = session.batchSize
        let spec = session.spec
        var order: [String] = []
        var series: [String: Series] = [:]
        var csvRows: [(key: String, layer: Int, name: String)] = []
        func add(_ key: String, _ row: [Double], tail: Int) {
            if series[key] == nil { series[key] = Series(shapeTail: [batch, tail], values: []); order.append(key) }
            series[key]?.values.append(contentsOf: row)
        }
        // Size check first.
        var perStep = 0
        for d in spec.directions {
            let cell = spec.cell(for: d)
            var depth = session.inputDepth
            for l in cell.layers {
                perStep += batch * (depth + LayerVariable.all(for: l).reduce(0) { $0 + $1.count } + l.outputSize)
                depth = l.outputSize
            }
        }
        let total = perStep * time
        guard total <= maxValues else {
            throw ExperimentError(file: path, field: "", "the frames hold about \(Format.count(total)) values; more than the \(Format.count(maxValues)) an export writes")
        }
        for d in spec.directions {
            let prefix = spec.bidirectional ? "frames/\(d.name)/" : "frames/"
            let cell = spec.cell(for: d)
            let layers = cell.layers
            var depths: [Int] = []
            var depth = session.inputDepth
            for l in layers { depths.append(depth); depth = l.outputSize }
            var gateNames: [[(String, Int)]] = Array(repeating: [], count: layers.count)
            var start = 0
            while start < time {
                let chunk = try session.frames(d, start..<min(time, start + 256))
                guard !chunk.isEmpty else { break }
                for f in chunk {
                    add(prefix + "masked", (0..<batch).map { f.isMasked($0) ? 1 : 0 }, tail: 0)
                    add(prefix + "output", f.output.scalars, tail: f.output.shape.last ?? 0)
                    for (l, layerSpec) in layers.enumerated() {
                        let ld = f.layers.first { $0.layer == l }
                        add(prefix + "x/layer\(l)", ld?.input.scalars ?? Array(repeating: 0, count: batch * depths[l]), tail: depths[l])
                        if let s = f.layerState(l, layerCount: layers.count) {
                            let computed = ld.map { StateParts($0.computedState) }
                            for (name, v) in StateParts(s).parts {
                                add(prefix + "\(name)/layer\(l)", v.scalars, tail: v.shape.last ?? 0)
                                // No cell ran past the loop bound: the computed state is the unchanged one.
                                add(prefix + "computed/\(name)/layer\(l)", computed?.part(name)?.scalars ?? v.scalars, tail: v.shape.last ?? 0)
                            }
                        }
                        add(prefix + "layer_output/layer\(l)", ld?.cellOutput.scalars ?? Array(repeating: 0, count: batch * layerSpec.outputSize),
                            tail: layerSpec.outputSize)
                        if let ld, gateNames[l].isEmpty {
                            gateNames[l] = ld.gates.map { ("gates/" + $0.name, $0.value.shape.last ?? 0) }
                                + ld.terms.map { ("terms/" + $0.name, $0.value.shape.last ?? 0) }
                        }
                        for (name, width) in gateNames[l] {
                            let recorded = name.hasPrefix("gates/") ? ld?.gate(String(name.dropFirst(6))) : ld?.term(String(name.dropFirst(6)))
                            let v = recorded?.scalars ?? Array(repeating: 0, count: batch * width)
                            add(prefix + arrayName(name) + "/layer\(l)", v, tail: width)
                        }
                    }
                }
                start += chunk.count
            }
            // Steps before the first that recorded gates (none, as step 0 always runs) are already aligned.
        }
        // The .npz, in the experiment's layout (the series were gathered time-major).
        var arrays: [(String, NumpyArray)] = []
        for key in order {
            guard let s = series[key] else { continue }
            let steps = s.values.count / max(1, s.shapeTail.reduce(1) { $0 * max($1, 1) })
            var shape = s.shapeTail[1] == 0 ? [steps, batch] : [steps] + s.shapeTail
            var values = s.values
            if !spec.timeMajor {
                values = batchMajor(values, steps: steps, batch: batch, width: max(1, s.shapeTail[1]))
                shape.swapAt(0, 1)
            }
            if key.hasSuffix("masked") {
                arrays.append((key, try NumpyArray(int32: values.map { Int32($0) }, shape: shape)))
            } else if spec.dtype == .float32 {
                arrays.append((key, try NumpyArray(float32: values.map { Float($0) }, shape: shape)))
            } else {
                arrays.append((key, try NumpyArray(float64: values, shape: shape)))
            }
            if !key.hasSuffix("masked") {
                let parts = key.split(separator: "/").map(String.init)
                let layer = parts.last.flatMap { $0.hasPrefix("layer") ? Int($0.dropFirst(5)) : nil } ?? -1
                let name = parts.dropFirst().filter { !$0.hasPrefix("layer") }.joined(separator: "/")
                csvRows.append((key, layer, name))
            }
        }
        try Npz.write(arrays, to: npzURL)
        guard total <= maxCSVValues else {
            return "exported \(arrays.count) arrays to \(path) (too many values for a CSV: \(Format.count(total)))"
        }
        // The CSV, written in pieces.
        _ = FileManager.default.createFile(atPath: csvURL.path, contents: nil)
        guard let handle = try? FileHandle(forWritingTo: csvURL) else {
            throw ExperimentError(file: csvURL.path, field: "", "cannot write the file")
        }
        defer { try? handle.close() }
        handle.write(Data("time,example,layer,name,unit,value\n".utf8))
        for row in csvRows {
            guard let s = series[row.key] else { continue }
            let width = max(1, s.shapeTail[1])
            let layer = row.name.hasSuffix("output") ? (spec.cell.layers.count - 1) : row.layer
            var text = ""
            for (i, v) in s.values.enumerated() {
                let t = i / (batch * width), b = (i / width) % batch, u = i % width
                let value = spec.dtype == .float32 ? "\(Float(v))" : "\(v)"
                text += "\(t),\(b),\(layer),\(row.name),\(u),\(value)\n"
                if text.utf8.count > 1 << 20 { handle.write(Data(text.utf8)); text = "" }
            }
            handle.write(Data(text.utf8))
        }
        return "exported \(arrays.count) arrays to \(path) and \(csvURL.lastPathComponent) (\(spec.timeMajor ? "[time, batch, ...]" : "[batch, time, ...]"), as the experiment)"
    }

    /// A recorded name as an array name: no spaces (`cell output` → `cell_output`).
    static func arrayName(_ name: String) -> String { name.replacingOccurrences(of: " ", with: "_") }

    /// `[time, batch, width]` values reordered to `[batch, time, width]`.
    static func batchMajor(_ v: [Double], steps: Int, batch: Int, width: Int) -> [Double] {
        var out = v
        for t in 0..<steps {
            for b in 0..<batch {
                let src = (t * batch + b) * width, dst = (b * steps + t) * width
                for k in 0..<width { out[dst + k] = v[src + k] }
            }
        }
        return out
    }
}
