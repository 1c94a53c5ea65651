/// How a `VariableStore` fills a variable that it was not given.
public enum MissingVariablePolicy: Sendable, Equatable {
    /// Raise `RNNError.missingWeight`.
    case fail
    /// Create it with TensorFlow's default initializer, from this seed (deterministic per variable name).
    case initialize(seed: UInt64)
}

/// One variable a cell asked for: its name, the shape it needs, and what the store had.
public struct VariableRequest: Sendable, Equatable {
    public let name: String
    public let expectedShape: [Int]
    /// The shape of the array the store was given under this name, or nil when it was created by default.
    public let foundShape: [Int]?
}

/// Variables by TensorFlow name (`rnn/lstm_cell/kernel`), like a TF graph's variable collection.
/// Cells fetch their weights from it when they are built; unknown names are created by the policy.
public final class VariableStore<Scalar: RNNScalar> {
    /// Arrays given by the user, by variable name.
    public private(set) var arrays: [String: Tensor<Scalar>]
    /// What to do when a cell asks for a name that was not given.
    public let missing: MissingVariablePolicy
    /// When false, a given array of the wrong shape is recorded in `requests` and replaced by a default one
    /// instead of raising, so every variable's expected and found shape can be listed at once.
    public var strict = true
    /// Every variable requested so far, in request order.
    public private(set) var requests: [VariableRequest] = []
    /// The names in `requests`, so a repeated request is found in constant time (a long stack asks for many).
    private var requested: Set<String> = []
    private var created: [String: Tensor<Scalar>] = [:]

    public init(arrays: [String: Tensor<Scalar>] = [:], missing: MissingVariablePolicy = .initialize(seed: 0)) {
        self.arrays = arrays
        self.missing = missing
    }

    /// Given names that no cell asked for (often a scope or cell-name typo).
    public var unusedNames: [String] {
        arrays.keys.filter { !requested.contains($0) }.sorted()
    }

    /// Appends `request` unless its name was requested before (the first request's shapes are kept).
    private func record(_ request: VariableRequest) {
        if requested.insert(request.name).inserted { requests.append(request) }
    }

    /// The variable `name` of `shape`: the given array (shape checked) or one created by `initializer`.
    public func variable(_ name: String, shape: [Int], initializer: Initializer) throws -> Tensor<Scalar> {
        if let given = arrays[name] {
            record(VariableRequest(name: name, expectedShape: shape, foundShape: given.shape))
            if given.shape == shape { return given }
            if strict { throw RNNError.weightShape(name: name, expected: shape, found: given.shape) }
            return initializer.make(shape: shape, seed: 0, name: name)
        }
        record(VariableRequest(name: name, expectedShape: shape, foundShape: nil))
        if let made = created[name], made.shape == shape { return made }
        switch missing {
        case .fail where strict:
            throw RNNError.missingWeight(name: name, expected: shape)
        case .fail:
            return initializer.make(shape: shape, seed: 0, name: name)
        case let .initialize(seed):
            let made: Tensor<Scalar> = initializer.make(shape: shape, seed: seed, name: name)
            created[name] = made
            return made
        }
    }
}
