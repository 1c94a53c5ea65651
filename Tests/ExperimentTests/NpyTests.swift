import Foundation
import XCTest
@testable import Experiment

final class NpyTests: XCTestCase {
    // MARK: - Helpers

    /// A `.npy` file built by hand per the NPY spec, independent of `Npy.encode`.
    static func npyBytes(header dict: String, version: UInt8 = 1, payload: [UInt8] = [], pad: Bool = true) -> Data {
        let prefixLength = version == 1 ? 10 : 12
        var text = Array(dict.utf8)
        if pad {
            while (prefixLength + text.count + 1) % 64 != 0 { text.append(0x20) }
        }
        text.append(0x0A)
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
        if version == 1 {
            data.append(contentsOf: [UInt8(text.count & 0xFF), UInt8(text.count >> 8)])
        } else {
            let n = UInt32(text.count)
            data.append(contentsOf: (0..<4).map { UInt8((n >> (8 * $0)) & 0xFF) })
        }
        data.append(contentsOf: text)
        data.append(contentsOf: payload)
        return data
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }


    static let shapes: [[Int]] = [[], [0], [5], [2, 3, 4]]

    static func sampleArrays(shape: [Int]) throws -> [NumpyArray] {
        let n = shape.reduce(1, *)
        return [
            try NumpyArray(float32: (0..<n).map { Float($0) * 0.25 - 1 }, shape: shape),
            try NumpyArray(float64: (0..<n).map { Double($0) / 3 - 2 }, shape: shape),
            try NumpyArray(int32: (0..<n).map { Int32($0) * 1_000_003 - 7 }, shape: shape),
            try NumpyArray(int64: (0..<n).map { Int64($0) * 10_000_000_019 - 3 }, shape: shape),
        ]
    }

    // MARK: - Round trips

    func testRoundTripEveryDTypeAndShape() throws {
        for shape in Self.shapes {
            for array in try Self.sampleArrays(shape: shape) {
                let data = Npy.encode(array)
                XCTAssertEqual(Npy.header(for: array).count % 64, 0)
                XCTAssertEqual(data.count, Npy.header(for: array).count + array.count * array.dtype.byteWidth)
                XCTAssertEqual(try Npy.decode(data), array, "\(array.dtype) \(shape)")
            }
        }
    }

    func testRoundTripKeepsSpecialFloatsBitwise() throws {
        let values: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let decoded = try Npy.decode(Npy.encode(NumpyArray(float32: values, shape: [6])))
        XCTAssertEqual(decoded.asFloats().map(\.bitPattern), values.map(\.bitPattern))
    }

    func testEncodedHeaderMatchesNumpyLayout() throws {
        let array = try NumpyArray(float32: [Float](repeating: 0, count: 12), shape: [3, 4])
        let header = Npy.header(for: array)
        XCTAssertEqual(Array(header.prefix(8)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        XCTAssertEqual(Int(header[8]) | Int(header[9]) << 8, header.count - 10)
        let text = String(decoding: header.dropFirst(10), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"), text)
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertEqual(header.count, 128)  // 10 + 60 + 1 bytes, padded to 64's multiple.

        let vector = String(decoding: Npy.header(for: try NumpyArray(int64: [1], shape: [1])), as: UTF8.self)
        XCTAssertTrue(vector.contains("'descr': '<i8'") && vector.contains("'shape': (1,)"), vector)
        let scalar = String(decoding: Npy.header(for: try NumpyArray(float64: [1], shape: [])), as: UTF8.self)
        XCTAssertTrue(scalar.contains("'shape': ()"), scalar)
    }

    func testWritesVersion2WhenHeaderExceeds65535Bytes() throws {
        let shape = [Int](repeating: 1, count: 25_000)  // "1, " × 25 000 is 75 000 characters.
        let array = try NumpyArray(int32: [42], shape: shape)
        let data = Npy.encode(array)
        XCTAssertEqual(data[6], 2)
        XCTAssertEqual(data[7], 0)
        let declared = (0..<4).reduce(0) { $0 | Int(data[8 + $1]) << (8 * $1) }
        XCTAssertEqual(12 + declared + 4, data.count)
        XCTAssertEqual((12 + declared) % 64, 0)
        // Reading refuses it: more dimensions than numpy allows, in a header past the reader's bound.
        assertNumpyError(["array: header claims 75060 bytes; at most 65536 are allowed"]) { try Npy.decode(data) }
    }

    // MARK: - Decoding hand-built files

    func testDecodesHandBuiltFloat32() throws {
        let payload = Self.littleEndian([Float(1), -2, 0.5].map(\.bitPattern))
        let data = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", payload: payload)
        let array = try Npy.decode(data)
        XCTAssertEqual(array.dtype, .float32)
        XCTAssertEqual(array.shape, [3])
        XCTAssertEqual(array.asFloats(), [1, -2, 0.5])
    }

    func testDecodesHandBuiltIntegersAndDoubles() throws {
        let i8 = Self.npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }",
                               payload: Self.littleEndian([Int64.min, -1, 0, Int64.max]))
        XCTAssertEqual(try Npy.decode(i8), try NumpyArray(int64: [.min, -1, 0, .max], shape: [2, 2]))

        let i4 = Self.npyBytes(header: "{'descr': '<i4', 'fortran_order': False, 'shape': (), }",
                               payload: Self.littleEndian([Int32(-123_456)]))
        XCTAssertEqual(try Npy.decode(i4), try NumpyArray(int32: [-123_456], shape: []))

        let f8 = Self.npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                               payload: Self.littleEndian([0.1, -3e300].map(\.bitPattern)))
        XCTAssertEqual(try Npy.decode(f8).asDoubles(), [0.1, -3e300])
    }

    func testHeaderDictToleratesOrderSpacingQuotesAndNoTrailingComma() throws {
        let headers = [
            "{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}",
            "{ \"descr\" :\"<i4\" ,'fortran_order':False,'shape':( 2 , ) , }",
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }",
        ]
        for header in headers {
            let array = try Npy.decode(Self.npyBytes(header: header, payload: Self.littleEndian([Int32(7), 8])))
            XCTAssertEqual(array, try NumpyArray(int32: [7, 8], shape: [2]), header)
        }
        // Unpadded, unaligned headers are accepted too.
        let unpadded = Self.npyBytes(header: "{'descr':'<f4','fortran_order':False,'shape':()}",
                                     payload: Self.littleEndian([Float(3).bitPattern]), pad: false)
        XCTAssertEqual(try Npy.decode(unpadded).asFloats(), [3])
    }

    func testDecodesZeroLengthAndEmptyShapes() throws {
        let empty = Self.npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }")
        XCTAssertEqual(try Npy.decode(empty), try NumpyArray(float64: [], shape: [0]))
        let emptyMatrix = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 0, 3), }")
        XCTAssertEqual(try Npy.decode(emptyMatrix).shape, [4, 0, 3])
    }

    func testDecodesVersion2And3Headers() throws {
        let payload = Self.littleEndian([Int64(5), 6, 7])
        let v2 = Self.npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                               version: 2, payload: payload)
        XCTAssertEqual(try Npy.decode(v2), try NumpyArray(int64: [5, 6, 7], shape: [3]))
        let v3 = Self.npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                               version: 3, payload: payload)
        XCTAssertEqual(try Npy.decode(v3), try NumpyArray(int64: [5, 6, 7], shape: [3]))
        // Version 3.0 is UTF-8: a non-ASCII key is read as such, and refused like any key numpy does not write.
        let extra = Self.npyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), 'naïve': 'é'}",
                                  version: 3, payload: payload)
        assertNumpyError(["header has unexpected key 'naïve'"]) { try Npy.decode(extra) }
    }

    func testDecodesFromADataSlice() throws {
        let whole = Data([0xFF, 0xFF, 0xFF]) + Npy.encode(try NumpyArray(float32: [1, 2], shape: [2]))
        XCTAssertEqual(try Npy.decode(whole.dropFirst(3)).asFloats(), [1, 2])
    }

    // MARK: - Errors

    func testRejectsUnsupportedDTypes() {
        let cases: [(String, [String])] = [
            ("'>f4'", ["'>f4'", "big-endian", "'<f4', '<f8', '<i4', '<i8'"]),
            ("'>i8'", ["'>i8'", "big-endian"]),
            ("'<f2'", ["unsupported dtype '<f2'"]),
            ("'<i2'", ["unsupported dtype '<i2'"]),
            ("'<U5'", ["unsupported dtype '<U5'"]),
            ("'|O'", ["unsupported dtype '|O'"]),
            ("[('a', '<f4'), ('b', '<i4')]", ["unsupported dtype", "structured"]),
        ]
        for (descr, fragments) in cases {
            let data = Self.npyBytes(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (1,), }",
                                     payload: [0, 0, 0, 0, 0, 0, 0, 0])
            assertNumpyError(["weights.npy: "] + fragments) { try Npy.decode(data, name: "weights.npy") }
        }
    }

    /// NumPy's bool (`'|b1'`, an experiment's mask) is one byte an element, kept as stored, and written back alike.
    func testReadsAndWritesBool() throws {
        let data = Self.npyBytes(header: "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }", payload: [1, 0, 1, 1, 1, 0])
        let a = try Npy.decode(data, name: "mask.npy")
        XCTAssertEqual(a.dtype, .bool)
        XCTAssertEqual(a.shape, [2, 3])
        XCTAssertEqual(a.storage, .bool([1, 0, 1, 1, 1, 0]))
        XCTAssertEqual(a.asInts(), [1, 0, 1, 1, 1, 0])
        XCTAssertEqual(try Npy.decode(Npy.encode(a), name: "again.npy"), a)
        let truncated = Self.npyBytes(header: "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }", payload: [1, 0, 1])
        assertNumpyError(["mask.npy", "truncated"]) { try Npy.decode(truncated, name: "mask.npy") }
    }

    /// Fortran order is accepted (issue 21) and put into C order; the C-order copy it needs counts against the
    /// reader's allowance.
    func testReadsFortranOrderIntoCOrder() throws {
        let data = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                 payload: Self.littleEndian([Float(1), 4, 2, 5, 3, 6].map(\.bitPattern)))
        XCTAssertEqual(try Npy.decode(data, name: "k.npy"), try NumpyArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]))
        assertNumpyError(["k.npy", "in Fortran order needs 48 B, more than the 47 B"]) { try Npy.decode(data, name: "k.npy", maxBytes: 47) }
        XCTAssertNoThrow(try Npy.decode(data, name: "k.npy", maxBytes: 48))
    }

    func testRejectsBadMagicAndVersion() {
        assertNumpyError(["x: not an .npy file: bad magic", "93 4e 55 4d 50 59"]) {
            try Npy.decode(Data("PK\u{3}\u{4}hello world".utf8), name: "x")
        }
        var v4 = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", payload: [0, 0, 0, 0])
        v4[6] = 4
        assertNumpyError(["unsupported .npy format version 4.0"]) { try Npy.decode(v4) }
        assertNumpyError(["too short for an .npy header"]) { try Npy.decode(Data([0x93, 0x4E, 0x55])) }
        assertNumpyError(["too short"]) { try Npy.decode(Data()) }
    }

    func testRejectsTruncatedHeaderAndData() {
        let full = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
                                 payload: [UInt8](repeating: 0, count: 48))
        assertNumpyError(["a.npy", "data is truncated", "(3, 4)", "needs 48 bytes, got 40"]) {
            try Npy.decode(full.prefix(full.count - 8), name: "a.npy")
        }
        assertNumpyError(["file is truncated", "header says it is 118 bytes long"]) { try Npy.decode(full.prefix(30)) }
        assertNumpyError(["4 unexpected bytes after the data"]) { try Npy.decode(full + Data([1, 2, 3, 4])) }
    }

    func testRejectsMalformedHeaders() {
        let cases: [(String, [String])] = [
            ("[1, 2, 3]", ["header is not a dict"]),
            ("{'descr': '<f4', 'fortran_order': False", ["not a Python dict literal"]),
            ("{'descr': '<f4', 'shape': (1,), }", ["no 'fortran_order' key"]),
            ("{'fortran_order': False, 'shape': (1,), }", ["no 'descr' key"]),
            ("{'descr': '<f4', 'fortran_order': False, }", ["no 'shape' key"]),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", ["'fortran_order' must be True or False, got 0"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': 4, }", ["'shape' must be a tuple of integers, got 4"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',), }", ["'shape' must be a tuple of integers"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }", ["'shape' must be a tuple of integers, got [1]"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", ["not a Python dict literal"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ["too large"]),
        ]
        for (header, fragments) in cases {
            let data = Self.npyBytes(header: header, payload: [0, 0, 0, 0])
            assertNumpyError(["h.npy"] + fragments) { try Npy.decode(data, name: "h.npy") }
        }
    }

    func testRejectsNegativeAndAbsurdDimensionsWithoutTrapping() {
        let cases: [(String, [String])] = [
            ("(-1,)", ["negative dimension -1"]),
            ("(3, -2)", ["negative dimension -2 in shape (3, -2)"]),
            ("(4611686018427387904, 4611686018427387904)", ["more elements than Int can count"]),
            ("(4611686018427387904,)", ["more bytes than Int can count"]),
            ("(1099511627776,)", ["data is truncated", "needs 4398046511104 bytes, got 8"]),
            ("(9223372036854775807, 0)", ["8 unexpected bytes"]),  // Zero elements, so the 8 bytes are extra.
        ]
        for (shape, fragments) in cases {
            let data = Self.npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }",
                                     payload: [UInt8](repeating: 0, count: 8))
            assertNumpyError(fragments) { try Npy.decode(data) }
        }
    }

    // MARK: - NumpyArray

    func testArrayInitChecksShape() throws {
        XCTAssertThrowsError(try NumpyArray(float32: [1, 2, 3], shape: [2, 2])) { error in
            XCTAssertEqual((error as? NumpyError)?.description, "array: shape (2, 2) needs 4 elements, got 3")
        }
        XCTAssertThrowsError(try NumpyArray(int32: [], shape: [-1]))
        XCTAssertEqual(try NumpyArray(float64: [7], shape: []).count, 1)
        let generic = try NumpyArray([Int64(1), 2], shape: [2])
        XCTAssertEqual(generic.dtype, .int64)
        XCTAssertEqual(generic.storage, .int64([1, 2]))
    }

    func testConversions() throws {
        let floats = try NumpyArray(float32: [1.5, -2.5, .nan, .infinity, -1e30], shape: [5])
        XCTAssertEqual(floats.asInts(), [1, -2, 0, Int.max, Int.min])
        XCTAssertEqual(floats.asDoubles()[0...1], [1.5, -2.5])
        let ints = try NumpyArray(int32: [3, -4], shape: [2])
        XCTAssertEqual(ints.asDoubles(), [3, -4])
        XCTAssertEqual(ints.asFloats(), [3, -4])
        XCTAssertEqual(ints.asInts(), [3, -4])
        let longs = try NumpyArray(int64: [Int64.max], shape: [1])
        XCTAssertEqual(longs.asInts(), [Int.max])
        XCTAssertEqual(try NumpyArray(float64: [0.1], shape: [1]).asFloats(), [Float(0.1)])
    }

    func testDTypeDescriptors() {
        XCTAssertEqual(NumpyDType.allCases.map(\.descr), ["<f4", "<f8", "<i4", "<i8", "|b1"])
        XCTAssertEqual(NumpyDType(descr: "<f8"), .float64)
        XCTAssertNil(NumpyDType(descr: "|f4"))
        XCTAssertEqual(NumpyDType.int32.rawValue, "int32")
    }
}
