import Experiment
import Foundation

/// One fuzz input: the bytes of an `.npy` file. Any outcome but a crash, a hang or an unbounded allocation is fine.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    if let array = try? Npy.decode(data, name: "fuzz.npy", maxBytes: 1 << 26) {
        // What decodes must encode back to a file that decodes to the same array.
        guard let again = try? Npy.decode(Npy.encode(array), maxBytes: 1 << 26), again.shape == array.shape else {
            fatalError("an array that decoded does not survive an encode/decode round trip")
        }
    }
    return 0
}
