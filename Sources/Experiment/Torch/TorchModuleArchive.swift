import Foundation

/// One module's parameters in a PyTorch state_dict, under their own names: `encoder.weight_ih_l0` is
/// `weight_ih_l0` here (the names `TorchLayout` reads); the file's other keys are not listed. Errors name the
/// file's keys.
final class TorchModuleArchive: ArrayArchive {
    let base: any ArrayArchive
    let module: String
    let keys: [String]
    private let fileKeys: [String: String]

    init(_ base: any ArrayArchive, module: String) {
        self.base = base
        self.module = module
        let params = TorchModuleShape.parameters(of: base.keys, module: module)
        keys = params.map(\.name)
        fileKeys = Dictionary(params.map { ($0.name, $0.key) }, uniquingKeysWith: { a, _ in a })
    }

    var url: URL { base.url }

    private func fileKey(_ key: String) -> String { fileKeys[key] ?? (module.isEmpty ? key : module + "." + key) }

    func info(_ key: String) throws -> NpzArchive.ArrayInfo { try base.info(fileKey(key)) }

    func array(_ key: String, maxBytes: Int) throws -> NumpyArray { try base.array(fileKey(key), maxBytes: maxBytes) }

    func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        let found = try base.arrays(keys.map(fileKey), maxBytes: maxBytes)
        return Dictionary(keys.compactMap { k in found[fileKey(k)].map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
