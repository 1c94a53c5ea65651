import RNNEngine

/// Reading and writing `CellSpec`s in the experiment-file form (TensorFlow's argument names).
enum CellSpecJSON {
    /// The types a file may name: each built-in kind's (its descriptor's `jsonType`), then the wrappers.
    static var types: [String] { CellKind.jsonTypes + ["multi", "residual", "dropout"] }
    /// The types a file of `convention` may name (onnx: ONNX's operators; wrappers and stacks are refused later
    /// with the reason).
    static func types(for convention: Convention) -> [String] {
        CellKind.jsonTypes.filter { !CellKind.kinds(jsonType: $0, convention: convention).isEmpty } + ["multi", "residual", "dropout"]
    }
    /// The keys of a plain layer this format reads (a descriptor's `jsonKeys` come from these).
    static let layerKeys: Set<String> = ["type", "num_units", "activation", "reset_after", CellOptions.Key.forgetBias,
                                         CellOptions.Key.usePeepholes, CellOptions.Key.cellClip, CellOptions.Key.numProj,
                                         CellOptions.Key.projClip, CellOptions.Key.clip, CellOptions.Key.inputForget,
                                         CellOptions.Key.linearBeforeReset, CellOptions.Key.activations,
                                         CellOptions.Key.activationAlpha, CellOptions.Key.activationBeta]
    /// Keras' `go_backwards` on a plain layer (keras convention only).
    static let goBackwardsKey = "go_backwards"
    /// Largest `num_units` accepted by the parser; the memory check refuses smaller sizes that still do not fit.
    static let maxUnits = 1 << 30

    /// The cell at `r`; defaults follow `convention` (`forget_bias` is 0 where the framework has no such term,
    /// `reset_after` defaults to the framework's GRU).
    static func parse(_ r: FieldReader, convention: Convention = .tf) throws -> CellSpec {
        let defaultForgetBias: Double = convention.hasForgetBiasTerm ? 1 : 0
        guard let type = try r.string("type") else { throw r.fail("type", "missing; one of \(types(for: convention).joined(separator: ", "))") }
        func units() throws -> Int {
            guard let n = try r.int("num_units", min: 1, max: maxUnits) else { throw r.fail("num_units", "missing (a positive integer)") }
            return n
        }
        func activation() throws -> Activation {
            guard let name = try r.string("activation") else { return .tanh }
            guard let a = Activation(rawValue: name) else {
                throw r.fail("activation", "unknown activation \"\(name)\"; one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return a
        }
        if let first = CellKind.kinds(jsonType: type, convention: convention).first {
            // Kinds sharing a type (the two GRUs) take the same keys; `reset_after` tells them apart.
            let keys = first.descriptor.jsonKeys
            try r.onlyKeys(keys + [goBackwardsKey])
            let goBackwards = try r.bool(goBackwardsKey) ?? false
            if goBackwards && !convention.hasGoBackwards {
                throw r.fail(goBackwardsKey, "an argument of Keras' recurrent layers (\"convention\": \"keras\"); \(convention.frameworkName) has none (a backward pass is \"bidirectional\")")
            }
            var numUnits = 0, act = Activation.tanh, resetAfter: Bool?
            var options = CellOptions(forgetBias: defaultForgetBias)
            var activationNames: [String]?, alpha: [Double] = [], beta: [Double] = []
            for key in keys {
                switch key {
                case "num_units": numUnits = try units()
                case "activation": act = try activation()
                case "reset_after": resetAfter = try r.bool(key)
                case CellOptions.Key.forgetBias: options.forgetBias = try r.double(key) ?? defaultForgetBias
                case CellOptions.Key.usePeepholes: options.usePeepholes = try r.bool(key) ?? false
                case CellOptions.Key.cellClip: options.cellClip = try nonNegative(r, key)
                case CellOptions.Key.numProj: options.numProj = try r.int(key, min: 1, max: maxUnits)
                case CellOptions.Key.projClip: options.projClip = try nonNegative(r, key)
                case CellOptions.Key.clip:
                    options.clip = try r.double(key)
                    if let c = options.clip, !(c > 0 && c.isFinite) { throw r.fail(key, "must be a positive number, got \(c)") }
                case CellOptions.Key.inputForget: options.inputForget = try r.int(key, min: 0, max: 1) == 1
                case CellOptions.Key.linearBeforeReset: options.linearBeforeReset = try r.int(key, min: 0, max: 1) == 1
                case CellOptions.Key.activations: activationNames = try r.stringList(key)
                case CellOptions.Key.activationAlpha: alpha = try r.doubleList(key) ?? []
                case CellOptions.Key.activationBeta: beta = try r.doubleList(key) ?? []
                default: continue
                }
            }
            if let names = activationNames {
                // Every direction's functions, forward first; the experiment splits them by its `direction`.
                guard !names.isEmpty else { throw r.fail(CellOptions.Key.activations, "is empty; leave it out for the operator's defaults") }
                for (i, name) in names.enumerated() where ONNXActivation.Function(onnxName: name) == nil {
                    throw ExperimentError(file: r.file, field: "\(r.field(CellOptions.Key.activations))[\(i)]",
                        "unknown activation \"\(name)\"; one of \(ONNXActivation.Function.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                options.activations = try ONNXActivation.handOut(names: names, alpha: alpha, beta: beta)
            }
            guard let kind = CellKind.kind(jsonType: type, resetAfter: resetAfter, defaultResetAfter: convention.defaultResetAfter,
                                           convention: convention) else {
                throw r.fail("type", "unknown cell type \"\(type)\"; one of \(types(for: convention).joined(separator: ", "))")
            }
            return .layer(CellLayer(kind: kind, numUnits: numUnits, activation: act, options: options, goBackwards: goBackwards))
        }
        switch type {
        case "multi":
            try r.onlyKeys(["type", "cells"])
            guard let v = r.object["cells"], case let .array(items) = v else {
                throw r.fail("cells", "missing: a MultiRNNCell needs a list of cells")
            }
            guard !items.isEmpty else { throw r.fail("cells", "empty: a MultiRNNCell needs at least one cell") }
            return .multi(try items.enumerated().map { i, item in
                try parse(FieldReader(file: r.file, path: "\(r.field("cells"))[\(i)]", value: item), convention: convention)
            })
        case "residual":
            try r.onlyKeys(["type", "cell"])
            guard let inner = try r.child("cell") else { throw r.fail("cell", "missing: the wrapped cell") }
            return .residual(try parse(inner, convention: convention))
        case "dropout":
            try r.onlyKeys(["type", "cell", "input_keep_prob", "output_keep_prob", "state_keep_prob", "seed"])
            guard let inner = try r.child("cell") else { throw r.fail("cell", "missing: the wrapped cell") }
            var o = DropoutOptions()
            o.inputKeepProb = try keepProb(r, "input_keep_prob")
            o.outputKeepProb = try keepProb(r, "output_keep_prob")
            o.stateKeepProb = try keepProb(r, "state_keep_prob")
            o.seed = try r.int("seed", min: 0).map { UInt64($0) }
            return .dropout(try parse(inner, convention: convention), o)
        default:
            throw r.fail("type", "unknown cell type \"\(type)\"; one of \(types(for: convention).joined(separator: ", "))")
        }
    }

    private static func nonNegative(_ r: FieldReader, _ key: String) throws -> Double? {
        guard let v = try r.double(key) else { return nil }
        guard v >= 0, v.isFinite else { throw r.fail(key, "must be a non-negative number, got \(v)") }
        return v
    }

    private static func keepProb(_ r: FieldReader, _ key: String) throws -> Double {
        guard let v = try r.double(key) else { return 1 }
        guard v > 0, v <= 1 else { throw r.fail(key, "must be in (0, 1], got \(v)") }
        return v
    }

    /// The spec as a JSON-ready dictionary, with only non-default arguments (`reset_after` always written outside
    /// the tf convention, where it is the framework's choice worth seeing).
    static func encode(_ spec: CellSpec, convention: Convention = .tf) -> [String: Any] {
        var d: [String: Any] = ["type": spec.typeName]
        let defaultForgetBias: Double = convention.hasForgetBiasTerm ? 1 : 0
        func encode(_ spec: CellSpec) -> [String: Any] { CellSpecJSON.encode(spec, convention: convention) }
        switch spec {
        case let .layer(l):
            let o = l.options
            d["num_units"] = l.numUnits
            for key in l.descriptor.jsonKeys {
                switch key {
                case "activation": if l.activation != .tanh { d[key] = l.activation.rawValue }
                case "reset_after":
                    if let resetAfter = l.descriptor.resetAfter, convention != .tf || resetAfter { d[key] = resetAfter }
                case CellOptions.Key.forgetBias: if o.forgetBias != defaultForgetBias { d[key] = o.forgetBias }
                case CellOptions.Key.usePeepholes: if o.usePeepholes { d[key] = true }
                case CellOptions.Key.cellClip: if let c = o.cellClip { d[key] = c }
                case CellOptions.Key.numProj: if let p = o.numProj { d[key] = p }
                case CellOptions.Key.projClip: if let c = o.projClip { d[key] = c }
                case CellOptions.Key.clip: if let c = o.clip { d[key] = c }
                case CellOptions.Key.inputForget: if o.inputForget { d[key] = 1 }
                case CellOptions.Key.linearBeforeReset: d[key] = o.linearBeforeReset ? 1 : 0
                case CellOptions.Key.activations:
                    // This cell's functions; an onnx experiment joins its directions' lists (`ExperimentSpec.jsonData`).
                    guard !o.activations.isEmpty else { continue }
                    d[key] = o.activations.map(\.function.rawValue)
                    let p = ONNXActivation.parameters(of: o.activations)
                    if !p.alpha.isEmpty { d[CellOptions.Key.activationAlpha] = p.alpha }
                    if !p.beta.isEmpty { d[CellOptions.Key.activationBeta] = p.beta }
                default: continue
                }
            }
            if l.goBackwards { d[goBackwardsKey] = true }
        case let .multi(cells):
            d["cells"] = cells.map(encode)
        case let .residual(c):
            d["cell"] = encode(c)
        case let .dropout(c, o):
            d["cell"] = encode(c)
            if o.inputKeepProb != 1 { d["input_keep_prob"] = o.inputKeepProb }
            if o.outputKeepProb != 1 { d["output_keep_prob"] = o.outputKeepProb }
            if o.stateKeepProb != 1 { d["state_keep_prob"] = o.stateKeepProb }
            if let s = o.seed { d["seed"] = Int(truncatingIfNeeded: s) }
        }
        return d
    }
}
