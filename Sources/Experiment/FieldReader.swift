/// Reads typed fields out of a JSON object, throwing `ExperimentError`s that name the file and field path.
struct FieldReader {
    let file: String
    let path: String
    let object: [String: JSONValue]

    init(file: String, path: String, value: JSONValue) throws {
        guard case let .object(o, _) = value else {
            throw ExperimentError(file: file, field: path.isEmpty ? "(top level)" : path,
                                  "expected an object, got \(value.kindName)")
        }
        self.file = file
        self.path = path
        self.object = o
    }

    func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
    func fail(_ key: String, _ message: String) -> ExperimentError { ExperimentError(file: file, field: field(key), message) }

    /// Rejects keys outside `allowed`, naming the closest allowed one.
    func onlyKeys(_ allowed: [String]) throws {
        for key in object.keys.sorted() where !allowed.contains(key) {
            let guess = allowed.min { editDistance($0, key) < editDistance($1, key) }
            let hint = guess.map { editDistance($0, key) <= 3 ? " (did you mean \"\($0)\"?)" : "" } ?? ""
            throw fail(key, "unknown field\(hint); allowed: \(allowed.joined(separator: ", "))")
        }
    }

    func has(_ key: String) -> Bool {
        if let v = object[key], v != .null { return true }
        return false
    }

    func int(_ key: String, min lower: Int? = nil, max upper: Int? = nil) throws -> Int? {
        guard let v = object[key], v != .null else { return nil }
        let n: Int
        switch v {
        case let .int(i): n = i
        case let .double(d) where d.rounded() == d && abs(d) < 9.0e15: n = Int(d)
        case let .double(d): throw fail(key, "expected an integer, got \(d)")
        default: throw fail(key, "expected an integer, got \(v.kindName)")
        }
        if let lower, n < lower { throw fail(key, "must be at least \(lower), got \(n)") }
        if let upper, n > upper { throw fail(key, "must be at most \(upper), got \(n)") }
        return n
    }

    func double(_ key: String) throws -> Double? {
        guard let v = object[key], v != .null else { return nil }
        switch v {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: throw fail(key, "expected a number, got \(v.kindName)")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = object[key], v != .null else { return nil }
        guard case let .bool(b) = v else { throw fail(key, "expected true or false, got \(v.kindName)") }
        return b
    }

    func string(_ key: String) throws -> String? {
        guard let v = object[key], v != .null else { return nil }
        guard case let .string(s) = v else { throw fail(key, "expected a string, got \(v.kindName)") }
        return s
    }

    func intList(_ key: String) throws -> [Int]? {
        guard let v = object[key], v != .null else { return nil }
        guard case let .array(items) = v else { throw fail(key, "expected a list of integers, got \(v.kindName)") }
        return try items.enumerated().map { i, item in
            switch item {
            case let .int(n): return n
            case let .double(d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
            default: throw ExperimentError(file: file, field: "\(field(key))[\(i)]", "expected an integer, got \(item.kindName)\(item.numberText)")
            }
        }
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let v = object[key], v != .null else { return nil }
        guard case let .array(items) = v else { throw fail(key, "expected a list of strings, got \(v.kindName)") }
        return try items.enumerated().map { i, item in
            guard case let .string(s) = item else {
                throw ExperimentError(file: file, field: "\(field(key))[\(i)]", "expected a string, got \(item.kindName)")
            }
            return s
        }
    }

    /// A list of finite numbers.
    func doubleList(_ key: String) throws -> [Double]? {
        guard let v = object[key], v != .null else { return nil }
        guard case let .array(items) = v else { throw fail(key, "expected a list of numbers, got \(v.kindName)") }
        return try items.enumerated().map { i, item in
            switch item {
            case let .int(n): return Double(n)
            case let .double(d) where d.isFinite: return d
            default: throw ExperimentError(file: file, field: "\(field(key))[\(i)]", "expected a finite number, got \(item.kindName)\(item.numberText)")
            }
        }
    }

    func child(_ key: String) throws -> FieldReader? {
        guard let v = object[key], v != .null else { return nil }
        return try FieldReader(file: file, path: field(key), value: v)
    }
}

extension JSONValue {
    /// " (2.5)" for a number, "" otherwise, to quote the offending value.
    var numberText: String {
        switch self {
        case let .double(d): return " (\(d))"
        case let .string(s): return " (\"\(s)\")"
        default: return ""
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var prev = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let cur = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
            prev = cur
        }
    }
    return row[b.count]
}
