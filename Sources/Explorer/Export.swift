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
/// spaces. Bidirectional experiments get `fw/` and `bw/` after `frames/`. Frames are recomputed in chunks and
/// written in the experiment's dtype, as the engine computed them.
public enum Export {
    /// Most values written to the `.npz`.
    public static let maxValues = 50_000_000
    /// Most values also written as CSV rows.
    public static let maxCSVValues = 2_000_000

    /// Where one exported array's values live in the frames: the direction, the layer and the quantity. Array
    /// names and CSV columns are made from it.
    struct Key: Hashable {
        enum Quantity: Hashable {
            case masked, output, input, layerOutput
            case state(String), computedState(String)
            case gate(String), term(String)
        }

        /// Nil for a run that is not bidirectional.
        var direction: Direction?
        /// Nil for what the whole stack emits (`output`, `masked`).
        var layer: Int?
        var quantity: Quantity

        /// The quantity's part of the array name: `x`, `h`, `computed/h`, `gates/i`, `terms/f_pre` (no spaces).
        var path: String {
            switch quantity {
            case .masked: return "masked"
            case .output: return "output"
            case .input: return "x"
            case .layerOutput: return "layer_output"
            case let .state(part): return part
            case let .computedState(part): return "computed/" + part
            case let .gate(name): return "gates/" + Export.arrayName(name)
            case let .term(name): return "terms/" + Export.arrayName(name)
            }
        }

        /// `frames/[fw|bw/]<path>[/layer<l>]`.
        var arrayName: String {
            (["frames"] + (direction.map { [$0.name] } ?? []) + [path] + (layer.map { ["layer\($0)"] } ?? [])).joined(separator: "/")
        }

        /// The CSV's `name` column: `[fw|bw/]<path>`. Kept as the export has always written it: `layer_output`
        /// rows have no name of their own (only the direction's), a quirk of the names once parsed back.
        var csvName: String {
            let shown = quantity == .layerOutput ? [] : [path]
            return ((direction.map { [$0.name] } ?? []) + shown).joined(separator: "/")
        }

        /// The CSV's `layer` column: the layer, or for what the stack emits its top layer (`topLayer`). Kept as the
        /// export has always written it: every name ending in `output` (a wrapper's `gates/cell_output` too)
        /// gets the top layer.
        func csvLayer(topLayer: Int) -> Int {
            csvName.hasSuffix("output") ? topLayer : (layer ?? -1)
        }
    }

    /// The values of one array, gathered time-major: `width` per row (0: one value per row).
    struct Series<Scalar: RNNScalar> {
        var width: Int
        var values: [Scalar] = []
    }

    /// Exports `session`'s frames to `path` (`.npz`) and `path` with `.csv`. Returns a note.
    public static func write(session: ExplorerSession, to given: String) throws -> String {
        try session.exportFrames(to: given)
    }

    /// `write` for the engine's frames of one scalar type.
    static func write<Scalar: RNNScalar>(_ session: Session<Scalar>, to given: String) throws -> String {
        // A name without the extension gets it, so numpy.load finds the file under the name it expects.
        let path = given.lowercased().hasSuffix(".npz") ? given : given + ".npz"
        let npzURL = URL(fileURLWithPath: path)
        let csvURL = npzURL.deletingPathExtension().appendingPathExtension("csv")
        let time = session.maxTime, batch = session.batchSize
        let spec = session.spec
        var order: [Key] = []
        var series: [Key: Series<Scalar>] = [:]
        func add(_ key: Key, _ row: [Scalar], width: Int) {
            if series[key] == nil { series[key] = Series(width: width); order.append(key) }
            series[key]?.values.append(contentsOf: row)
        }
        func zeros(_ width: Int) -> [Scalar] { Array(repeating: 0, count: batch * width) }
        // Size check first.
        var perStep = 0
        for d in spec.directions {
            var depth = session.inputDepth
            for l in spec.cell(for: d).layers {
                perStep += batch * (depth + LayerVariable.all(for: l).reduce(0) { $0 + $1.count } + l.outputSize)
                depth = l.outputSize
            }
        }
        let total = perStep * time
        guard total <= maxValues else {
            throw ExperimentError(file: path, field: "", "the frames hold about \(Format.count(total)) values; more than the \(Format.count(maxValues)) an export writes")
        }
        for d in spec.directions {
            let direction = spec.bidirectional ? d : nil
            func key(_ layer: Int?, _ quantity: Key.Quantity) -> Key { Key(direction: direction, layer: layer, quantity: quantity) }
            let layers = spec.cell(for: d).layers
            var depths: [Int] = []
            var depth = session.inputDepth
            for l in layers { depths.append(depth); depth = l.outputSize }
            // Each layer's gates and terms, as its first recorded step names them (step 0 always runs).
            var recorded: [[(quantity: Key.Quantity, width: Int)]] = Array(repeating: [], count: layers.count)
            var start = 0
            while start < time {
                let chunk = try session.emittedFrames(d, start..<min(time, start + 256))
                guard !chunk.isEmpty else { break }
                for emitted in chunk {
                    let f = emitted.frame
                    add(key(nil, .masked), (0..<batch).map { f.masked.indices.contains($0) && f.masked[$0] ? 1 : 0 }, width: 0)
                    add(key(nil, .output), emitted.output.scalars, width: emitted.output.shape.last ?? 0)
                    for (l, layerSpec) in layers.enumerated() {
                        let ld = f.layers.first { $0.layer == l }
                        add(key(l, .input), ld?.input.scalars ?? zeros(depths[l]), width: depths[l])
                        let kept = ld?.stateAfter ?? (layers.count <= 1 ? f.state : f.state[item: l])
                        if let kept {
                            let computed = ld.map { StateParts($0.computedState) }
                            for (part, v) in StateParts(kept).parts {
                                add(key(l, .state(part)), v.scalars, width: v.shape.last ?? 0)
                                // No cell ran past the loop bound: the computed state is the unchanged one.
                                add(key(l, .computedState(part)), computed?.part(part)?.scalars ?? v.scalars, width: v.shape.last ?? 0)
                            }
                        }
                        add(key(l, .layerOutput), ld?.cellOutput.scalars ?? zeros(layerSpec.outputSize), width: layerSpec.outputSize)
                        if let ld, recorded[l].isEmpty {
                            recorded[l] = ld.gates.map { (.gate($0.name), $0.value.shape.last ?? 0) }
                                + ld.terms.map { (.term($0.name), $0.value.shape.last ?? 0) }
                        }
                        for (quantity, width) in recorded[l] {
                            let value: LayerValue
                            switch quantity {
                            case let .gate(name): value = .gate(name)
                            case let .term(name): value = .term(name)
                            default: continue
                            }
                            add(key(l, quantity), ld?.tensor(value)?.scalars ?? zeros(width), width: width)
                        }
                    }
                }
                start += chunk.count
            }
        }
        // The .npz, in the experiment's layout (the series were gathered time-major).
        var arrays: [(String, NumpyArray)] = []
        for k in order {
            guard let s = series[k] else { continue }
            let steps = s.values.count / (max(batch, 1) * max(s.width, 1))
            var shape = s.width == 0 ? [steps, batch] : [steps, batch, s.width]
            var values = s.values
            if !spec.timeMajor {
                values = batchMajor(values, steps: steps, batch: batch, width: max(1, s.width))
                shape.swapAt(0, 1)
            }
            if k.quantity == .masked {
                arrays.append((k.arrayName, try NumpyArray(int32: values.map { Int32($0) }, shape: shape)))
            } else {
                arrays.append((k.arrayName, try NumpyArray(Tensor(shape: shape, scalars: values))))
            }
        }
        try Npz.write(arrays, to: npzURL)
        guard total <= maxCSVValues else {
            return "exported \(arrays.count) arrays to \(path) (too many values for a CSV: \(Format.count(total)))"
        }
        // The CSV, written in pieces to a hidden temporary renamed into place; a failed write (a full disk)
        // removes it and the archive just written, so a failed export leaves no file and reports one line.
        let temporary = csvURL.deletingLastPathComponent().appendingPathComponent(".\(csvURL.lastPathComponent).\(UUID().uuidString).tmp")
        let registered = TemporaryFiles.register(temporary.path)
        defer { TemporaryFiles.unregister(registered) }
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                  let handle = try? FileHandle(forWritingTo: temporary) else {
                throw ExperimentError(file: csvURL.path, field: "", "cannot write the file")
            }
            defer { try? handle.close() }
            func write(_ text: String) throws {
                do {
                    try handle.write(contentsOf: Data(text.utf8))
                } catch {
                    throw ExperimentError(file: csvURL.path, field: "", "cannot write the file: \(String(cString: strerror(errno)))")
                }
            }
            try write("time,example,layer,name,unit,value\n")
            let topLayer = spec.cell.layers.count - 1
            for k in order where k.quantity != .masked {
                guard let s = series[k] else { continue }
                let width = max(1, s.width)
                let layer = k.csvLayer(topLayer: topLayer), name = k.csvName
                var text = ""
                for (i, v) in s.values.enumerated() {
                    let t = i / (batch * width), b = (i / width) % batch, u = i % width
                    text += "\(t),\(b),\(layer),\(name),\(u),\(v)\n"
                    if text.utf8.count > 1 << 20 { try write(text); text = "" }
                }
                try write(text)
            }
            guard rename(temporary.path, csvURL.path) == 0 else {
                throw ExperimentError(file: csvURL.path, field: "", "cannot move the written file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            unlink(npzURL.path)
            throw error
        }
        return "exported \(arrays.count) arrays to \(path) and \(csvURL.lastPathComponent) (\(spec.timeMajor ? "[time, batch, ...]" : "[batch, time, ...]"), as the experiment)"
    }

    /// A recorded name as an array name: no spaces (`cell output` → `cell_output`).
    static func arrayName(_ name: String) -> String { name.replacingOccurrences(of: " ", with: "_") }

    /// `[time, batch, width]` values reordered to `[batch, time, width]`.
    static func batchMajor<Element>(_ v: [Element], steps: Int, batch: Int, width: Int) -> [Element] {
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
