import RNNEngine

/// An edit of one layer of the stack (or of the stack itself).
public enum StackEdit: Equatable, Sendable {
    case addLayer, deleteLayer, moveUp, moveDown
    case cycleType, units(delta: Int), setUnits(Int), cycleActivation
    case togglePeepholes, cycleCellClip, setProjection(Int?), cycleForgetBias
    case toggleResidual, toggleDropout
}

/// Pure edits of a `CellSpec` stack: each returns the new spec and the layer to select, or the reason it
/// was refused. Whether the result runs (residual shapes, units ≥ 1, …) is checked by building it.
public enum StackEditor {
    public struct Result: Equatable {
        public var cell: CellSpec
        public var selectedLayer: Int
        public var summary: String
    }

    public static func apply(_ edit: StackEdit, to cell: CellSpec, layer: Int) -> Swift.Result<Result, Refusal> {
        let isMulti: Bool
        var layers: [CellSpec]
        if case let .multi(cells) = cell { isMulti = true; layers = cells } else { isMulti = false; layers = [cell] }
        guard layers.indices.contains(layer) else { return .failure(Refusal("no layer \(layer)")) }
        func rebuild(_ l: [CellSpec]) -> CellSpec { (isMulti || l.count > 1) ? .multi(l) : l[0] }
        var selected = layer
        let summary: String
        switch edit {
        case .addLayer:
            let copy = layers[layer]
            layers.insert(stripResidual(copy), at: layer + 1)
            selected = layer + 1
            summary = "added layer \(layer + 1): \(layers[layer + 1].summary)"
        case .deleteLayer:
            guard layers.count > 1 else { return .failure(Refusal("a stack needs at least one layer")) }
            layers.remove(at: layer)
            selected = min(layer, layers.count - 1)
            summary = "deleted layer \(layer)"
        case .moveUp:
            guard layer > 0 else { return .failure(Refusal("layer 0 is already the first layer")) }
            layers.swapAt(layer, layer - 1)
            selected = layer - 1
            summary = "moved layer \(layer) up"
        case .moveDown:
            guard layer + 1 < layers.count else { return .failure(Refusal("layer \(layer) is already the last layer")) }
            layers.swapAt(layer, layer + 1)
            selected = layer + 1
            summary = "moved layer \(layer) down"
        default:
            switch editLayer(edit, layers[layer]) {
            case let .success(new):
                layers[layer] = new
                summary = "layer \(layer): \(new.summary)"
            case let .failure(r):
                return .failure(r)
            }
        }
        return .success(Result(cell: rebuild(layers), selectedLayer: selected, summary: summary))
    }

    /// The LSTMCell's `num_proj` inside any wrappers (nil when it has none or is another cell).
    public static func numProj(_ c: CellSpec) -> Int? {
        switch c {
        case let .residual(i), let .dropout(i, _): return numProj(i)
        case let .lstm(_, o): return o.numProj
        default: return nil
        }
    }

    /// A refused edit and why.
    public struct Refusal: Error, Equatable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func stripResidual(_ c: CellSpec) -> CellSpec {
        if case let .residual(inner) = c { return inner }
        return c
    }

    private static func editLayer(_ edit: StackEdit, _ layer: CellSpec) -> Swift.Result<CellSpec, Refusal> {
        switch edit {
        case .toggleResidual:
            if case let .residual(inner) = layer { return .success(inner) }
            return .success(.residual(layer))
        case .toggleDropout:
            return .success(mapBelowResidual(layer) { c in
                if case let .dropout(inner, _) = c { return inner }
                return .dropout(c, DropoutOptions(outputKeepProb: 0.5, seed: 1))
            })
        default:
            var refusal: Refusal?
            let new = mapInner(layer) { c in
                switch editCell(edit, c) {
                case let .success(n): return n
                case let .failure(r): refusal = r; return c
                }
            }
            if let r = refusal { return .failure(r) }
            return .success(new)
        }
    }

    /// Applies `f` to the cell inside any wrappers.
    static func mapInner(_ c: CellSpec, _ f: (CellSpec) -> CellSpec) -> CellSpec {
        switch c {
        case let .residual(inner): return .residual(mapInner(inner, f))
        case let .dropout(inner, o): return .dropout(mapInner(inner, f), o)
        default: return f(c)
        }
    }

    private static func mapBelowResidual(_ c: CellSpec, _ f: (CellSpec) -> CellSpec) -> CellSpec {
        if case let .residual(inner) = c { return .residual(f(inner)) }
        return f(c)
    }

    private static func activation(of c: CellSpec) -> Activation {
        switch c {
        case let .basicRNN(_, a), let .gru(_, a), let .gruResetAfter(_, a), let .basicLSTM(_, _, a): return a
        case let .lstm(_, o): return o.activation
        default: return .tanh
        }
    }

    private static func editCell(_ edit: StackEdit, _ c: CellSpec) -> Swift.Result<CellSpec, Refusal> {
        let n = c.numUnits
        switch edit {
        case .cycleType:
            let a = activation(of: c)
            switch c {
            case .basicRNN: return .success(.basicLSTM(numUnits: n, forgetBias: 1, activation: a))
            case .basicLSTM: return .success(.lstm(numUnits: n, options: LSTMOptions(activation: a)))
            case .lstm: return .success(.gru(numUnits: n, activation: a))
            default: return .success(.basicRNN(numUnits: n, activation: a))
            }
        case let .units(delta):
            return setUnits(c, n + delta)
        case let .setUnits(v):
            return setUnits(c, v)
        case .cycleActivation:
            let all = Activation.allCases
            let next = all[((all.firstIndex(of: activation(of: c)) ?? 0) + 1) % all.count]
            switch c {
            case let .basicRNN(n, _): return .success(.basicRNN(numUnits: n, activation: next))
            case let .gru(n, _): return .success(.gru(numUnits: n, activation: next))
            case let .gruResetAfter(n, _): return .success(.gruResetAfter(numUnits: n, activation: next))
            case let .basicLSTM(n, fb, _): return .success(.basicLSTM(numUnits: n, forgetBias: fb, activation: next))
            case .lstm(let n, var o): o.activation = next; return .success(.lstm(numUnits: n, options: o))
            default: return .success(c)
            }
        case .togglePeepholes, .cycleCellClip, .setProjection:
            guard case .lstm(let n, var o) = c else {
                return .failure(Refusal("peepholes, cell_clip and num_proj are LSTMCell options: \(Keymap.names()(.cycleType, in: .pane(.stack))) changes this \(c.typeName) layer's type"))
            }
            switch edit {
            case .togglePeepholes: o.usePeepholes.toggle()
            case .cycleCellClip:
                let steps: [Double?] = [nil, 1, 3, 10]
                let i = steps.firstIndex(where: { $0 == o.cellClip }) ?? 0
                o.cellClip = steps[(i + 1) % steps.count]
            case let .setProjection(p):
                if let p, p < 1 { return .failure(Refusal("num_proj must be at least 1, or none (got \(p))")) }
                if let p, p > 4096 { return .failure(Refusal("num_proj above 4096 is not offered here (got \(p))")) }
                o.numProj = p
                if p == nil { o.projClip = nil }
            default: break
            }
            return .success(.lstm(numUnits: n, options: o))
        case .cycleForgetBias:
            let steps: [Double] = [1, 0, 0.5, 2]
            func next(_ v: Double) -> Double { steps[((steps.firstIndex(of: v) ?? 0) + 1) % steps.count] }
            switch c {
            case let .basicLSTM(n, fb, a): return .success(.basicLSTM(numUnits: n, forgetBias: next(fb), activation: a))
            case .lstm(let n, var o): o.forgetBias = next(o.forgetBias); return .success(.lstm(numUnits: n, options: o))
            default: return .failure(Refusal("forget_bias is an LSTM option; this layer is \(c.typeName)"))
            }
        default:
            return .success(c)
        }
    }

    private static func setUnits(_ c: CellSpec, _ v: Int) -> Swift.Result<CellSpec, Refusal> {
        guard v >= 1 else { return .failure(Refusal("num_units must be at least 1 (got \(v))")) }
        guard v <= 4096 else { return .failure(Refusal("num_units above 4096 is not offered here (got \(v))")) }
        switch c {
        case let .basicRNN(_, a): return .success(.basicRNN(numUnits: v, activation: a))
        case let .gru(_, a): return .success(.gru(numUnits: v, activation: a))
        case let .gruResetAfter(_, a): return .success(.gruResetAfter(numUnits: v, activation: a))
        case let .basicLSTM(_, fb, a): return .success(.basicLSTM(numUnits: v, forgetBias: fb, activation: a))
        case let .lstm(_, o):
            // num_proj is independent of num_units in TF (it may be larger): it is kept as typed.
            return .success(.lstm(numUnits: v, options: o))
        default: return .success(c)
        }
    }
}
