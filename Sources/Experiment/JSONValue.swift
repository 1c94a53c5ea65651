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
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error.localizedDescription)"
            throw JSONParseError(message: "not valid JSON (\(detail))")
        }
        return try convert(any)
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
