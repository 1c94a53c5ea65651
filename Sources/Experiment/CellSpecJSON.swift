import RNNEngine

/// Reading and writing `CellSpec`s in the experiment-file form (TensorFlow's argument names).
enum CellSpecJSON {
    static let types = ["basic_rnn", "basic_lstm", "lstm", "gru", "multi", "residual", "dropout"]
    /// Largest `num_units` accepted by the parser; the memory check refuses smaller sizes that still do not fit.
    static let maxUnits = 1 << 30

    /// The cell at `r`; defaults follow `convention` (`forget_bias` is 0 where the framework has no such term,
    /// `reset_after` defaults to the framework's GRU).
    static func parse(_ r: FieldReader, convention: Convention = .tf) throws -> CellSpec {
        let defaultForgetBias: Double = convention.hasForgetBiasTerm ? 1 : 0
        guard let type = try r.string("type") else { throw r.fail("type", "missing; one of \(types.joined(separator: ", "))") }
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
        switch type {
        case "basic_rnn":
            try r.onlyKeys(["type", "num_units", "activation"])
            return .basicRNN(numUnits: try units(), activation: try activation())
        case "basic_lstm":
            try r.onlyKeys(["type", "num_units", "forget_bias", "activation"])
            return .basicLSTM(numUnits: try units(), forgetBias: try r.double("forget_bias") ?? defaultForgetBias, activation: try activation())
        case "lstm":
            try r.onlyKeys(["type", "num_units", "use_peepholes", "cell_clip", "num_proj", "proj_clip", "forget_bias", "activation"])
            let n = try units()
            let options = LSTMOptions(
                usePeepholes: try r.bool("use_peepholes") ?? false,
                cellClip: try nonNegative(r, "cell_clip"),
                numProj: try r.int("num_proj", min: 1, max: maxUnits),
                projClip: try nonNegative(r, "proj_clip"),
                forgetBias: try r.double("forget_bias") ?? defaultForgetBias,
                activation: try activation())
            return .lstm(numUnits: n, options: options)
        case "gru":
            try r.onlyKeys(["type", "num_units", "activation", "reset_after"])
            let n = try units(), a = try activation()
            return try r.bool("reset_after") ?? convention.defaultResetAfter
                ? .gruResetAfter(numUnits: n, activation: a) : .gru(numUnits: n, activation: a)
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
            throw r.fail("type", "unknown cell type \"\(type)\"; one of \(types.joined(separator: ", "))")
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
        case let .basicRNN(n, a):
            d["num_units"] = n
            if a != .tanh { d["activation"] = a.rawValue }
        case let .gru(n, a), let .gruResetAfter(n, a):
            d["num_units"] = n
            if a != .tanh { d["activation"] = a.rawValue }
            let resetAfter = spec != .gru(numUnits: n, activation: a)
            if convention != .tf || resetAfter { d["reset_after"] = resetAfter }
        case let .basicLSTM(n, fb, a):
            d["num_units"] = n
            if fb != defaultForgetBias { d["forget_bias"] = fb }
            if a != .tanh { d["activation"] = a.rawValue }
        case let .lstm(n, o):
            d["num_units"] = n
            if o.usePeepholes { d["use_peepholes"] = true }
            if let c = o.cellClip { d["cell_clip"] = c }
            if let p = o.numProj { d["num_proj"] = p }
            if let c = o.projClip { d["proj_clip"] = c }
            if o.forgetBias != defaultForgetBias { d["forget_bias"] = o.forgetBias }
            if o.activation != .tanh { d["activation"] = o.activation.rawValue }
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
