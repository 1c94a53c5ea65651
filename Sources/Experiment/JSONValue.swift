import Foundation

/// A parsed JSON value that keeps integers apart from fractions, so fields can be checked precisely.
public indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue], order: [String])

    /// Parses JSON text; the error names the problem (Foundation's message, with its position).
    public static func parse(_ data: Data) throws -> JSONValue {
        let scan = scan(data)
        // Foundation's parser accepts `[1, 2,]`; JSON (and Python's json, and TF's tools) refuse it.
        if let (line, column) = scan.trailingComma {
            throw JSONParseError(message: "not valid JSON (trailing comma at line \(line), column \(column): remove the comma before the closing bracket)")
        }
        // Converting Foundation's objects costs microseconds a value: a file of millions of values would take
        // seconds before any field is checked. Experiment files hold a few fields and lists of batch size.
        if scan.commas >= maxValues {
            throw JSONParseError(message: "holds more than \(maxValues) values (\(scan.commas + 1) or more); an experiment file names its arrays in .npz files")
        }
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error.localizedDescription)"
            throw JSONParseError(message: "not valid JSON (\(detail))")
        }
        return try convert(any)
    }

    /// The most values (counted by their separating commas) an experiment file may hold.
    static let maxValues = 300_000

    /// One pass over the text outside strings: the 1-based line and column of the first comma followed only by
    /// white space and `]` or `}`, if any, and the number of commas (values less one per list or object).
    static func scan(_ data: Data) -> (trailingComma: (line: Int, column: Int)?, commas: Int) {
        var inString = false, escaped = false
        var line = 1, column = 0, commas = 0
        var comma: (line: Int, column: Int)?
        for byte in data {
            column += 1
            if byte == UInt8(ascii: "\n") { line += 1; column = 0 }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; comma = nil
            case UInt8(ascii: ","): comma = (line, column); commas += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if let c = comma { return (c, commas) }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): break
            default: comma = nil
            }
        }
        return (nil, commas)
    }

    private static func convert(_ any: Any) throws -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let n as NSNumber:
            let type = String(cString: n.objCType)
            switch type {
            case "c", "B": return .bool(n.boolValue)
            case "d", "f": return .double(n.doubleValue)
            case "Q", "L", "I", "S", "C":
                // Unsigned: keep only what fits an Int; larger values become a fraction-free double.
                return n.uint64Value <= UInt64(Int.max) ? .int(Int(n.uint64Value)) : .double(n.doubleValue)
            default: return .int(n.intValue)
            }
        case let s as String: return .string(s)
        case let a as [Any]: return .array(try a.map(convert))
        case let d as [String: Any]:
            var out: [String: JSONValue] = [:]
            for (k, v) in d { out[k] = try convert(v) }
            return .object(out, order: d.keys.sorted())
        default:
            throw JSONParseError(message: "unsupported JSON value")
        }
    }

    /// A short name of the value's kind, for messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number with a fraction"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// JSON that could not be parsed.
public struct JSONParseError: Error { public let message: String }
