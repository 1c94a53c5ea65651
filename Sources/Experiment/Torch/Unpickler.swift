import Foundation

/// A restricted unpickler for the `data.pkl` of a `torch.save(state_dict)` file: the opcodes and the globals
/// `torch.load(weights_only=True)` accepts for tensors and containers (torch's `_weights_only_unpickler.py`), and
/// nothing else. Values are built as data only: a global is a name (module and name) checked against a fixed
/// list, and "calling" one of the allowed ones makes a data value (a new dict, a tensor description); no other
/// global is ever looked up, imported or called, and any other global is refused by its module and name the
/// moment the stream names it.
///
/// Hand-written because no Swift or Debian C library reads pickles without executing them; the machine is a stack
/// with limits: every length is checked against the bytes left, memo indices against the memo, the stack, the
/// marks and the tuples' nesting against fixed bounds, and containers live in an arena indexed by number (a
/// pickle can make a list hold itself; no reference cycle or deep recursion can come of it).
struct Unpickler {
    /// Why a pickle is refused: one line, with the opcode's offset where there is one.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// A storage named by `BINPERSID ('storage', torch.<T>Storage, key, location, numel)`.
    struct Storage: Equatable {
        /// `FloatStorage`, `DoubleStorage`, ... (the storage class's name).
        let typeName: String
        let key: String
        let count: Int
    }

    /// A tensor made by `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`.
    struct TensorRef: Equatable {
        let storage: Storage
        let offset: Int
        let shape: [Int]
        let stride: [Int]
    }

    /// A value on the stack. Lists and dicts are numbers into `containers`; a tuple carries its nesting depth.
    indirect enum Value: Equatable {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case tuple([Value], depth: Int)
        case list(Int)
        case dict(Int)
        case emptySet
        case global(module: String, name: String)
        case storage(Storage)
        case tensor(TensorRef)

        var kindName: String {
            switch self {
            case .none: return "None"
            case .bool: return "a bool"
            case .int: return "an int"
            case .float: return "a float"
            case .string: return "a str"
            case .bytes: return "bytes"
            case .tuple: return "a tuple"
            case .list: return "a list"
            case .dict: return "a dict"
            case .emptySet: return "a set"
            case let .global(m, n): return "the global \(m).\(n)"
            case .storage: return "a storage"
            case .tensor: return "a tensor"
            }
        }

        var depth: Int { if case let .tuple(_, d) = self { return d } else { return 0 } }
    }

    /// A list's items, or a dict's entries in insertion order (keys compared as values).
    enum Container {
        case list([Value])
        case dict([(key: Value, value: Value)])
    }

    /// The largest `data.pkl` read (a state_dict of thousands of tensors is a few hundred KB).
    static let maxBytes = 64 << 20
    /// The most values on the stack and under open marks together.
    static let maxStackItems = 1 << 20
    /// The most open marks, and the deepest nesting of tuples.
    static let maxDepth = 64
    /// The most lists and dicts made, and the most items they hold together.
    static let maxContainerItems = 1 << 21

    /// The globals that may appear: what weights_only accepts for tensors and containers. Everything else is refused
    /// by name. Storage classes are data (a tensor's dtype); only float32 and float64 ones are read as arrays.
    static let allowedGlobals: Set<String> = ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                              "torch._utils._rebuild_parameter"]
    /// torch's typed storage classes (`torch.FloatStorage`, ...), by name, with the dtype they hold.
    static let storageTypes: [String: String] = [
        "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
        "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
        "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    ]

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [Value] = []
    private var marks: [[Value]] = []
    private var memo: [Int: Value] = [:]
    private(set) var containers: [Container] = []
    private var containerItems = 0
    private var opcodeStart = 0

    /// Unpickles `data`; the result is the value `STOP` pops, with the arena its lists and dicts refer to.
    static func load(_ data: Data) throws -> (value: Value, containers: [Container]) {
        guard data.count <= maxBytes else {
            throw Problem(description: "the pickle is \(data.count) bytes, more than the \(maxBytes) read")
        }
        var machine = Unpickler(bytes: [UInt8](data))
        let value = try machine.run()
        return (value, machine.containers)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ text: String) -> Problem {
        Problem(description: "pickle opcode at byte \(opcodeStart): \(text)")
    }

    // MARK: - Reading

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - position >= count else {
            throw fail("needs \(count) bytes, only \(bytes.count - position) left (truncated pickle)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func little(_ count: Int) throws -> UInt64 {
        var value: UInt64 = 0
        for (i, b) in try take(count).enumerated() { value |= UInt64(b) << (8 * i) }
        return value
    }

    /// A line ending in `\n` (GLOBAL's module and name), at most 256 bytes, printable ASCII.
    private mutating func line() throws -> String {
        let limit = min(bytes.count, position + 257)
        guard let end = bytes[position..<limit].firstIndex(of: 0x0A) else {
            throw fail("GLOBAL's name is not a line of at most 256 bytes (truncated or hostile pickle)")
        }
        let text = bytes[position..<end]
        position = end + 1
        guard text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw fail("GLOBAL's name is not printable ASCII") }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - The stack

    private mutating func push(_ value: Value) throws {
        guard stack.count + marks.reduce(0, { $0 + $1.count }) < Unpickler.maxStackItems else {
            throw fail("more than \(Unpickler.maxStackItems) values on the stack")
        }
        stack.append(value)
    }

    private mutating func pop() throws -> Value {
        guard let v = stack.popLast() else { throw fail("pops from an empty stack (corrupt pickle)") }
        return v
    }

    private func top() throws -> Value {
        guard let v = stack.last else { throw fail("reads the top of an empty stack (corrupt pickle)") }
        return v
    }

    /// The values pushed since the last MARK (which is removed).
    private mutating func popMark() throws -> [Value] {
        guard let outer = marks.popLast() else { throw fail("no MARK to pop to (corrupt pickle)") }
        let items = stack
        stack = outer
        return items
    }

    private mutating func tuple(_ items: [Value]) throws -> Value {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= Unpickler.maxDepth else { throw fail("tuples nested more than \(Unpickler.maxDepth) deep") }
        return .tuple(items, depth: depth)
    }

    private mutating func newContainer(_ c: Container) throws -> Int {
        guard containers.count < Unpickler.maxContainerItems else { throw fail("more than \(Unpickler.maxContainerItems) lists and dicts") }
        containers.append(c)
        return containers.count - 1
    }

    private mutating func countItems(_ n: Int) throws {
        containerItems += n
        guard containerItems <= Unpickler.maxContainerItems else {
            throw fail("lists and dicts hold more than \(Unpickler.maxContainerItems) items together")
        }
    }

    private mutating func appendItems(_ items: [Value]) throws {
        guard case let .list(id) = try top(), case var .list(old) = containers[id] else {
            throw fail("APPEND(S) onto \(try top().kindName), not a list")
        }
        try countItems(items.count)
        containers[id] = .list([])
        old += items
        containers[id] = .list(old)
    }

    private mutating func setItems(_ items: [Value]) throws {
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values (corrupt pickle)") }
        guard case let .dict(id) = try top(), case var .dict(old) = containers[id] else {
            throw fail("SETITEM(S) onto \(try top().kindName), not a dict")
        }
        try countItems(items.count / 2)
        containers[id] = .dict([])
        // Entries in order; a key given twice is resolved by the reader (the last wins, as in Python).
        for i in stride(from: 0, to: items.count, by: 2) { old.append((items[i], items[i + 1])) }
        containers[id] = .dict(old)
    }

    // MARK: - Running

    private mutating func run() throws -> Value {
        while true {
            opcodeStart = position
            guard position < bytes.count else { throw fail("the pickle ends before STOP (truncated pickle)") }
            let op = bytes[position]
            position += 1
            switch op {
            case 0x80:  // PROTO
                let p = try take(1).first ?? 0
                guard p >= 2 && p <= 5 else { throw fail("pickle protocol \(p); torch.save writes protocol 2") }
            case 0x2E:  // STOP
                let v = try pop()
                guard marks.isEmpty else { throw fail("STOP inside an open MARK (corrupt pickle)") }
                return v
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                try push(try Unpickler.global(module: module, name: name, fail: fail))
            case 0x52:  // REDUCE
                let args = try pop()
                let function = try pop()
                try push(try call(function, args))
            case 0x81:  // NEWOBJ
                let args = try pop()
                let cls = try pop()
                guard case .global("collections", "OrderedDict") = cls, case let .tuple(a, _) = args, a.isEmpty else {
                    throw fail("NEWOBJ of \(cls.kindName): only an empty collections.OrderedDict is made")
                }
                try push(.dict(try newContainer(.dict([]))))
            case 0x62:  // BUILD
                let state = try pop()
                let inst = try top()
                switch (inst, state) {
                case (.dict, .dict), (.dict, .none):
                    break  // An OrderedDict's attributes (`_metadata`: each module's version): not weights.
                case (.tensor, _):
                    break  // A tensor's Python state (requires_grad, hooks): data that does not change the numbers.
                default:
                    throw fail("BUILD of \(inst.kindName) with \(state.kindName): only an OrderedDict or a tensor is built")
                }
            case 0x61:  // APPEND
                let item = try pop()
                try appendItems([item])
            case 0x65:  // APPENDS
                try appendItems(try popMark())
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                try setItems([k, v])
            case 0x75:  // SETITEMS
                try setItems(try popMark())
            case 0x28:  // MARK
                guard marks.count < Unpickler.maxDepth else { throw fail("more than \(Unpickler.maxDepth) open MARKs") }
                marks.append(stack)
                stack = []
            case 0x74:  // TUPLE
                try push(try tuple(try popMark()))
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count >= n else { throw fail("TUPLE\(n) with \(stack.count) values on the stack (corrupt pickle)") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(try tuple(items))
            case 0x4E: try push(.none)  // NONE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x29: try push(.tuple([], depth: 1))  // EMPTY_TUPLE
            case 0x5D: try push(.list(try newContainer(.list([]))))  // EMPTY_LIST
            case 0x7D: try push(.dict(try newContainer(.dict([]))))  // EMPTY_DICT
            case 0x8F: try push(.emptySet)  // EMPTY_SET
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try little(4)))))  // BININT
            case 0x4B: try push(.int(Int(try little(1))))  // BININT1
            case 0x4D: try push(.int(Int(try little(2))))  // BININT2
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                try push(.float(Double(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })))
            case 0x8A:  // LONG1: n bytes, two's complement, little-endian
                let n = Int(try little(1))
                guard n <= 8 else { throw fail("LONG1 of \(n) bytes; integers wider than 64 bits are not read") }
                let b = try take(n)
                var value: UInt64 = 0
                for (i, x) in b.enumerated() { value |= UInt64(x) << (8 * i) }
                if n > 0 && n < 8 && (b.last ?? 0) & 0x80 != 0 { value |= ~0 << (8 * UInt64(n)) }
                try push(.int(Int(Int64(bitPattern: value))))
            case 0x58:  // BINUNICODE
                let n = try little(4)
                guard n <= UInt64(bytes.count - position) else {
                    throw fail("a string of \(n) bytes, only \(bytes.count - position) left (truncated or hostile pickle)")
                }
                let b = try take(Int(n))
                guard let s = String(validating: b, as: UTF8.self) else { throw fail("a string that is not valid UTF-8") }
                try push(.string(s))
            case 0x55:  // SHORT_BINSTRING
                let n = Int(try little(1))
                try push(.bytes(Array(try take(n))))
            case 0x51:  // BINPERSID
                try push(try persistent(try pop()))
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let i = Int(try little(op == 0x68 ? 1 : 4))
                guard let v = memo[i] else { throw fail("memo index \(i) was never stored (\(memo.count) stored; corrupt pickle)") }
                try push(v)
            case 0x71, 0x72:  // BINPUT, LONG_BINPUT
                let i = Int(try little(op == 0x71 ? 1 : 4))
                memo[i] = try top()
            default:
                throw fail("opcode 0x\(String(op, radix: 16, uppercase: false)) is not one torch.load(weights_only=True) accepts")
            }
        }
    }

    /// The value GLOBAL pushes: an allowed global or a storage class, as a name; anything else refused by name.
    static func global(module: String, name: String, fail: (String) -> Problem) throws -> Value {
        let full = "\(module).\(name)"
        if allowedGlobals.contains(full) || (module == "torch" && storageTypes[name] != nil) {
            return .global(module: module, name: name)
        }
        throw fail("refuses the global \(SafeText.quote(full, limit: 100)): only collections.OrderedDict, torch's tensor "
            + "rebuilds and storage classes are allowed (nothing in the file is called)")
    }

    /// What "calling" an allowed global makes, as data.
    private mutating func call(_ function: Value, _ args: Value) throws -> Value {
        guard case let .tuple(a, _) = args else { throw fail("REDUCE with \(args.kindName) for arguments, not a tuple") }
        guard case let .global(module, name) = function else { throw fail("REDUCE calls \(function.kindName), not an allowed global") }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            guard a.isEmpty else { throw fail("collections.OrderedDict called with \(a.count) arguments; torch.save passes none") }
            return .dict(try newContainer(.dict([])))
        case "torch._utils._rebuild_tensor_v2":
            guard a.count >= 4, case let .storage(storage) = a[0], case let .int(offset) = a[1] else {
                throw fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...); got \(a.map(\.kindName).joined(separator: ", "))")
            }
            let shape = try ints(a[2], "size"), stride = try ints(a[3], "stride")
            guard shape.count == stride.count else { throw fail("_rebuild_tensor_v2: size has \(shape.count) dims, stride \(stride.count)") }
            return .tensor(TensorRef(storage: storage, offset: offset, shape: shape, stride: stride))
        case "torch._utils._rebuild_parameter":
            guard a.count >= 1, case .tensor = a[0] else { throw fail("_rebuild_parameter needs a tensor first") }
            return a[0]
        default:
            throw fail("\(module).\(name) cannot be called (a storage class is only named by a tensor's storage)")
        }
    }

    private func ints(_ v: Value, _ what: String) throws -> [Int] {
        guard case let .tuple(items, _) = v else { throw fail("_rebuild_tensor_v2: \(what) is \(v.kindName), not a tuple") }
        guard items.count <= 32 else { throw fail("_rebuild_tensor_v2: \(what) has \(items.count) dims, more than 32") }
        return try items.map {
            guard case let .int(i) = $0 else { throw fail("_rebuild_tensor_v2: \(what) holds \($0.kindName), not an int") }
            return i
        }
    }

    /// BINPERSID's `('storage', torch.<T>Storage, key, location, numel)`: the only persistent id torch accepts.
    private func persistent(_ pid: Value) throws -> Value {
        guard case let .tuple(a, _) = pid, a.count == 5, case .string("storage") = a[0] else {
            throw fail("a persistent id that is not ('storage', type, key, location, numel)")
        }
        guard case let .global("torch", typeName) = a[1], Unpickler.storageTypes[typeName] != nil else {
            throw fail("a storage whose type is \(a[1].kindName), not a torch storage class")
        }
        guard case let .string(key) = a[2], case .string = a[3], case let .int(count) = a[4], count >= 0 else {
            throw fail("a storage id whose key, location or numel is not a str, a str and a count")
        }
        return .storage(Storage(typeName: typeName, key: key, count: count))
    }
}
