import CHDF5
import Foundation
import RNNEngine

/// Writes a Keras 3 `.weights.h5` (what `model.save_weights` writes and `model.load_weights` reads) through the same
/// HDF5 C library: `layers/<group>/cell/vars/0..2` (kernel, recurrent kernel, bias) where `KerasWeightPaths.layerGroups`
/// puts each cell, a `name` attribute on every `vars` group as Keras writes it, and the model's own empty `vars`.
/// The file is written to a temporary beside the target (registered with `TemporaryFiles`), then renamed into place.
public enum KerasWeightsWriter {
    /// Converts the experiment at `url` to the keras convention and writes its weights to `out` (a `.weights.h5`).
    public static func write(experiment url: URL, displayName: String? = nil, to out: URL) throws {
        let name = displayName ?? url.path
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        func arrays<S: RNNScalar>(_: S.Type) throws -> (RNNModel, [(name: String, tensor: NumpyArray)]) {
            let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: S.self, converting: true)
            let (target, weights) = try ExperimentConversion.converted(loaded, to: .keras)
            return (target.spec.model, try weights.map { ($0.name, try NumpyArray($0.tensor)) })
        }
        let (model, weights) = try arrays(spec.dtype.scalarType)
        do {
            try write(weights, model: model, to: out)
        } catch let p as HDF5File.Problem {
            throw ExperimentError(file: name, field: "convention", "cannot write \(out.lastPathComponent): \(p.description)")
        }
    }

    /// Writes `weights` (under the keras convention's names of `model`) to `out`.
    static func write(_ weights: [(name: String, tensor: NumpyArray)], model: RNNModel, to out: URL) throws {
        let byName = Dictionary(weights.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        let temporary = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).\(UUID().uuidString).tmp")
        let slot = TemporaryFiles.register(temporary.path)
        defer { TemporaryFiles.unregister(slot) }
        do {
            try HDF5File.locked {
                guard unroll_h5_init() >= 0 else { throw HDF5File.Problem(path: "", problem: "the HDF5 library cannot start") }
                let file = H5Fcreate(temporary.path, unroll_h5f_acc_trunc(), unroll_h5p_default(), unroll_h5p_default())
                guard file >= 0 else { throw HDF5File.Problem(path: "", problem: "libhdf5 cannot create the file") }
                var closed = false
                defer { if !closed { H5Fclose(file) } }
                let w = Writer(file: file)
                try w.group("vars", name: "sequential")
                if model.bidirectional { try w.group("layers/bidirectional/vars", name: "bidirectional") }
                for g in try KerasWeightPaths.layerGroups(model: model) {
                    try w.group(g.group + "/vars", name: g.layerName)
                    try w.group(g.group + "/cell/vars", name: g.cellName)
                    for (i, entry) in try KerasLayout.arrays(g.layer, in: model).enumerated() {
                        guard let a = byName[entry.name] else { throw HDF5File.Problem(path: entry.name, problem: "no such converted weight") }
                        try w.dataset("\(g.group)/cell/vars/\(i)", a)
                    }
                }
                closed = true
                guard H5Fclose(file) >= 0 else { throw HDF5File.Problem(path: "", problem: "libhdf5 cannot finish the file") }
            }
            guard rename(temporary.path, out.path) == 0 else {
                throw HDF5File.Problem(path: "", problem: "cannot move the written file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Groups, string attributes and float datasets in an open file (the caller holds `HDF5File.lock`).
    private struct Writer {
        let file: hid_t

        /// Creates the group at `path` and its missing parents, with the attribute `name` = `name`.
        func group(_ path: String, name: String) throws {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if H5Lexists(file, prefix, unroll_h5p_default()) > 0 { continue }
                let g = H5Gcreate2(file, prefix, unroll_h5p_default(), unroll_h5p_default(), unroll_h5p_default())
                guard g >= 0 else { throw HDF5File.Problem(path: prefix, problem: "libhdf5 cannot create the group") }
                H5Gclose(g)
            }
            let g = H5Gopen2(file, path, unroll_h5p_default())
            guard g >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot open the group") }
            defer { H5Gclose(g) }
            let type = H5Tcopy(unroll_h5t_c_s1())
            defer { H5Tclose(type) }
            H5Tset_size(type, unroll_h5t_variable())
            H5Tset_cset(type, H5T_CSET_UTF8)
            let space = H5Screate(H5S_SCALAR)
            defer { H5Sclose(space) }
            let a = H5Acreate2(g, "name", type, space, unroll_h5p_default(), unroll_h5p_default())
            guard a >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot create the attribute name") }
            defer { H5Aclose(a) }
            let status = name.withCString { c -> herr_t in
                var pointer: UnsafePointer<CChar>? = c
                return H5Awrite(a, type, &pointer)
            }
            guard status >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot write the attribute name") }
        }

        /// A contiguous little-endian float dataset holding `array`.
        func dataset(_ path: String, _ array: NumpyArray) throws {
            var dims = array.shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), &dims, nil)
            guard space >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot make the dataspace") }
            defer { H5Sclose(space) }
            let f64: Bool
            switch array.storage {
            case .float64: f64 = true
            case .float32: f64 = false
            default: throw HDF5File.Problem(path: path, problem: "only float32 and float64 weights are written")
            }
            let d = H5Dcreate2(file, path, f64 ? unroll_h5t_ieee_f64le() : unroll_h5t_ieee_f32le(), space,
                               unroll_h5p_default(), unroll_h5p_default(), unroll_h5p_default())
            guard d >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot create the dataset") }
            defer { H5Dclose(d) }
            let status: herr_t
            switch array.storage {
            case let .float64(v): status = v.withUnsafeBytes { H5Dwrite(d, unroll_h5t_native_double(), unroll_h5s_all(), unroll_h5s_all(), unroll_h5p_default(), $0.baseAddress) }
            case let .float32(v): status = v.withUnsafeBytes { H5Dwrite(d, unroll_h5t_native_float(), unroll_h5s_all(), unroll_h5s_all(), unroll_h5p_default(), $0.baseAddress) }
            default: status = -1
            }
            guard status >= 0 else { throw HDF5File.Problem(path: path, problem: "libhdf5 cannot write the data") }
        }
    }
}
