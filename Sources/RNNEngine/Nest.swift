/// A nested structure of values, as TensorFlow nests tensors: a single value, an
/// `LSTMStateTuple(c, h)`, or a tuple of nests (a `MultiRNNCell`'s per-layer states).
///
/// Flattening follows TensorFlow's order: `c` before `h`, tuple items by index.
public indirect enum Nest<Element> {
    case leaf(Element)
    case lstm(c: Element, h: Element)
    case tuple([Nest<Element>])

    /// The values in TensorFlow's flatten order.
    public var flattened: [Element] {
        switch self {
        case let .leaf(v): return [v]
        case let .lstm(c, h): return [c, h]
        case let .tuple(items): return items.flatMap { $0.flattened }
        }
    }

    /// The values with their paths (`c`, `h`, `0/c`, ...); a bare leaf has the empty path.
    public var flattenedWithPaths: [(path: String, value: Element)] { flattenedWithPaths(under: "") }

    /// The values with their paths under `prefix` (`prefix/c`, `prefix/0/h`, ...; a bare leaf is `prefix` itself):
    /// the names of a state's arrays in `.npz` files.
    public func flattenedWithPaths(under prefix: String) -> [(path: String, value: Element)] {
        func walk(_ n: Nest, _ prefix: String, _ out: inout [(path: String, value: Element)]) {
            switch n {
            case let .leaf(v): out.append((prefix, v))
            case let .lstm(c, h):
                out.append((joinPath(prefix, "c"), c))
                out.append((joinPath(prefix, "h"), h))
            case let .tuple(items):
                for (i, item) in items.enumerated() { walk(item, joinPath(prefix, String(i)), &out) }
            }
        }
        var out: [(path: String, value: Element)] = []
        walk(self, prefix, &out)
        return out
    }

    /// The same structure with every value transformed.
    public func map<T>(_ f: (Element) throws -> T) rethrows -> Nest<T> {
        switch self {
        case let .leaf(v): return .leaf(try f(v))
        case let .lstm(c, h): return .lstm(c: try f(c), h: try f(h))
        case let .tuple(items): return .tuple(try items.map { try $0.map(f) })
        }
    }

    /// Whether two nests have the same structure (values ignored).
    public func sameStructure<T>(as other: Nest<T>) -> Bool {
        switch (self, other) {
        case (.leaf, .leaf), (.lstm, .lstm): return true
        case let (.tuple(a), .tuple(b)):
            return a.count == b.count && Swift.zip(a, b).allSatisfy { $0.sameStructure(as: $1) }
        default: return false
        }
    }

    /// Combines two nests of the same structure value by value; throws when the structures differ.
    public func zip<T, R>(_ other: Nest<T>, _ f: (Element, T) throws -> R) throws -> Nest<R> {
        switch (self, other) {
        case let (.leaf(a), .leaf(b)): return .leaf(try f(a, b))
        case let (.lstm(c1, h1), .lstm(c2, h2)): return .lstm(c: try f(c1, c2), h: try f(h1, h2))
        case let (.tuple(a), .tuple(b)) where a.count == b.count:
            return .tuple(try Swift.zip(a, b).map { try $0.zip($1, f) })
        default:
            throw RNNError.badInitialState("structure \(other.structureDescription) does not match \(structureDescription)")
        }
    }

    /// The structure written as TensorFlow would show it, e.g. `(LSTMStateTuple(c, h), state)`.
    public var structureDescription: String {
        switch self {
        case .leaf: return "tensor"
        case .lstm: return "LSTMStateTuple(c, h)"
        case let .tuple(items): return "(" + items.map(\.structureDescription).joined(separator: ", ") + ")"
        }
    }

    /// The structure as TensorFlow prints it, each value written by `value`,
    /// e.g. `(LSTMStateTuple(c=[3, 4], h=[3, 4]), [3, 3])`.
    public func description(leaves value: (Element) -> String) -> String {
        switch self {
        case let .leaf(v): return value(v)
        case let .lstm(c, h): return "LSTMStateTuple(c=\(value(c)), h=\(value(h)))"
        case let .tuple(items): return "(" + items.map { $0.description(leaves: value) }.joined(separator: ", ") + ")"
        }
    }

    /// Item `i` of a tuple, or nil.
    public subscript(item i: Int) -> Nest? {
        if case let .tuple(items) = self, items.indices.contains(i) { return items[i] }
        return nil
    }
}

extension Nest where Element == Int {
    /// A state's shapes from its sizes (`stateSize`) for `batch` rows, e.g. `LSTMStateTuple(c=[2, 4], h=[2, 4])`.
    public func stateShapesDescription(batch: Int) -> String { description(leaves: { formatShape([batch, $0]) }) }
}

/// `prefix/component`, or `component` alone under the empty prefix: how nest paths, array names and scopes are joined.
public func joinPath(_ prefix: String, _ component: String) -> String {
    prefix.isEmpty ? component : prefix + "/" + component
}

extension Nest: Equatable where Element: Equatable {}
extension Nest: Sendable where Element: Sendable {}
