import Foundation

/// A file of named arrays an experiment can name for its inputs, weights or initial state: an `.npz` archive
/// today; the model-file readers (PyTorch `.pt`/`.safetensors`, Keras `.weights.h5`) plug in here. Keys are
/// listed at once; an array is decoded only when asked for, after the size its header declares has been checked
/// against the caller's allowance and the bytes the file holds. Problems are `NumpyError`s naming the file.
public protocol ArrayArchive: AnyObject {
    /// The file this archive was opened from.
    var url: URL { get }
    /// The array keys in file order.
    var keys: [String] { get }
    /// What `key`'s header declares (nothing else is read).
    func info(_ key: String) throws -> NpzArchive.ArrayInfo
    /// The array under `key`, decoded, refused past `maxBytes`.
    func array(_ key: String, maxBytes: Int) throws -> NumpyArray
    /// The arrays under `keys`, whose declared sizes together must fit `maxBytes` (checked before any is decoded).
    func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray]
}

extension NpzArchive: ArrayArchive {}

/// The one place a file name decides which reader opens it.
public enum ArrayArchives {
    /// Opens the file at `url` with the reader its name calls for (an `.npz` archive unless a reader claims the
    /// extension). Only regular files are opened.
    public static func open(_ url: URL) throws -> any ArrayArchive {
        let name = url.lastPathComponent.lowercased()
        if torchZipEndings.contains(where: name.hasSuffix) { return try TorchArchive(url) }
        if name.hasSuffix(safetensorsEnding) { return try SafetensorsArchive(url) }
        if name.hasSuffix(".weights.h5") { return try HDF5Archive(url) }
        return try NpzArchive(url)
    }

    /// torch.save's zip (`.pt`, `.pth`) and safetensors' ending: PyTorch weights files.
    static let torchZipEndings = [".pt", ".pth"]
    static let safetensorsEnding = ".safetensors"

    /// Whether `path` names a PyTorch weights file (`.pt`, `.pth`: torch.save's zip; `.safetensors`).
    public static func isTorchWeights(_ path: String) -> Bool {
        let name = path.lowercased()
        return (torchZipEndings + [safetensorsEnding]).contains(where: name.hasSuffix)
    }
}
