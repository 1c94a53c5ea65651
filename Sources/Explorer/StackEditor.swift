import RNNEngine

/// An edit of one layer of the stack (or of the stack itself).
public enum StackEdit: Equatable, Sendable {
    case addLayer, deleteLayer, moveUp, moveDown
    case cycleType, units(delta: Int), setUnits(Int), cycleActivation
    case togglePeepholes, cycleCellClip, setProjection(Int?), cycleForgetBias
    case toggleResidual, toggleDropout
}

/// Pure edits of a `CellSpec` stack: each returns the new spec and the layer to select, or the reason it
/// was refused. Whether the result runs (residual shapes, units ≥ 1, …) is checked by building it. A layer's
/// type, units, activation and options are edited through its kind's descriptor: the type cycle offers exactly
/// the kinds the convention runs (`CellKind.offered(by:)`), each with the convention's default options.
public enum StackEditor {
    public struct Result: Equatable {
        public var cell: CellSpec
        public var selectedLayer: Int
        public var summary: String
        /// For each layer of the new stack, the layer it was (nil for a new one): its weights go with it.
        public var origins: [Int?] = []
    }

    public static func apply(_ edit: StackEdit, to cell: CellSpec, layer: Int,
                             convention: Convention = .tf) -> Swift.Result<Result, Refusal> {
        let isMulti: Bool
        var layers: [CellSpec]
        if case let .multi(cells) = cell { isMulti = true; layers = cells } else { isMulti = false; layers = [cell] }
        guard layers.indices.contains(layer) else { return .failure(Refusal("no layer \(layer)")) }
        func rebuild(_ l: [CellSpec]) -> CellSpec { (isMulti || l.count > 1) ? .multi(l) : l[0] }
        var selected = layer
        let summary: String
        var origins: [Int?] = Array(layers.indices)
        switch edit {
        case .addLayer:
            let copy = layers[layer]
            layers.insert(stripResidual(copy), at: layer + 1)
            origins.insert(nil, at: layer + 1)
            selected = layer + 1
            summary = "added layer \(layer + 1): \(layers[layer + 1].summary(for: convention))"
        case .deleteLayer:
            guard layers.count > 1 else { return .failure(Refusal("a stack needs at least one layer")) }
            layers.remove(at: layer)
            origins.remove(at: layer)
            selected = min(layer, layers.count - 1)
            summary = "deleted layer \(layer)"
        case .moveUp:
            guard layer > 0 else { return .failure(Refusal("layer 0 is already the first layer")) }
            layers.swapAt(layer, layer - 1)
            origins.swapAt(layer, layer - 1)
            selected = layer - 1
            summary = "moved layer \(layer) up"
        case .moveDown:
            guard layer + 1 < layers.count else { return .failure(Refusal("layer \(layer) is already the last layer")) }
            layers.swapAt(layer, layer + 1)
            origins.swapAt(layer, layer + 1)
            selected = layer + 1
            summary = "moved layer \(layer) down"
        default:
            switch editLayer(edit, layers[layer], convention: convention) {
            case let .success(new):
                layers[layer] = new
                summary = "layer \(layer): \(new.summary(for: convention))"
            case let .failure(r):
                return .failure(r)
            }
        }
        return .success(Result(cell: rebuild(layers), selectedLayer: selected, summary: summary, origins: origins))
    }

    /// The LSTMCell's `num_proj` inside any wrappers (nil when it has none or is another cell).
    public static func numProj(_ c: CellSpec) -> Int? { c.unwrappedLayer?.options.numProj }

    /// A refused edit and why.
    public struct Refusal: Error, Equatable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func stripResidual(_ c: CellSpec) -> CellSpec {
        if case let .residual(inner) = c { return inner }
        return c
    }

    private static func editLayer(_ edit: StackEdit, _ layer: CellSpec, convention: Convention) -> Swift.Result<CellSpec, Refusal> {
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
                switch editCell(edit, c, convention: convention) {
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

    /// The kind after `kind` (nil: before the first) in `CellKind.allCases` that `convention` runs, as a layer
    /// with the convention's default options, keeping `activation` where the convention accepts it.
    static func nextKind(after kind: CellKind?, numUnits n: Int, activation a: Activation, convention: Convention) -> CellLayer {
        let all = CellKind.allCases, offered = CellKind.offered(by: convention)
        let start = kind.flatMap { all.firstIndex(of: $0) } ?? -1
        let next = (1...all.count).lazy.map { all[(start + $0) % all.count] }.first { offered.contains($0) } ?? .basicRNN
        var layer = CellLayer.defaults(next, numUnits: n, activation: a, convention: convention)
        if next.descriptor.unsupportedReason(layer, convention: convention) != nil { layer.activation = .tanh }
        return layer
    }

    private static func editCell(_ edit: StackEdit, _ c: CellSpec, convention: Convention) -> Swift.Result<CellSpec, Refusal> {
        let n = c.numUnits
        if case .cycleType = edit {
            let plain = c.unwrappedLayer
            return .success(.layer(nextKind(after: plain?.kind, numUnits: n, activation: plain?.activation ?? .tanh, convention: convention)))
        }
        if case let .units(delta) = edit { return setUnits(c, n + delta) }
        if case let .setUnits(v) = edit { return setUnits(c, v) }
        guard case var .layer(l) = c else {
            switch edit {
            case .togglePeepholes, .cycleCellClip, .setProjection:
                return .failure(Refusal("peepholes, cell_clip and num_proj are LSTMCell options: T changes this \(c.typeName) layer's type"))
            case .cycleForgetBias: return .failure(Refusal("forget_bias is an LSTM option; this layer is \(c.typeName)"))
            default: return .success(c)
            }
        }
        let keys = l.descriptor.jsonKeys
        switch edit {
        case .cycleActivation:
            let all = Activation.allCases
            l.activation = all[((all.firstIndex(of: l.activation) ?? 0) + 1) % all.count]
            return .success(.layer(l))
        case .togglePeepholes, .cycleCellClip, .setProjection:
            let key: String
            switch edit {
            case .togglePeepholes: key = CellOptions.Key.usePeepholes
            case .cycleCellClip: key = CellOptions.Key.cellClip
            default: key = CellOptions.Key.numProj
            }
            guard keys.contains(key) else {
                return .failure(Refusal("peepholes, cell_clip and num_proj are LSTMCell options: \(Keymap.names()(.cycleType, in: .pane(.stack))) changes this \(c.typeName) layer's type"))
            }
            var o = l.options
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
            l.options = o
            return .success(.layer(l))
        case .cycleForgetBias:
            guard keys.contains(CellOptions.Key.forgetBias) else {
                return .failure(Refusal("forget_bias is an LSTM option; this layer is \(c.typeName)"))
            }
            let steps: [Double] = [1, 0, 0.5, 2]
            l.options.forgetBias = steps[((steps.firstIndex(of: l.options.forgetBias) ?? 0) + 1) % steps.count]
            return .success(.layer(l))
        default:
            return .success(c)
        }
    }

    private static func setUnits(_ c: CellSpec, _ v: Int) -> Swift.Result<CellSpec, Refusal> {
        guard v >= 1 else { return .failure(Refusal("num_units must be at least 1 (got \(v))")) }
        guard v <= 4096 else { return .failure(Refusal("num_units above 4096 is not offered here (got \(v))")) }
        // An LSTM's num_proj is independent of num_units in TF (it may be larger): it is kept as typed.
        guard case var .layer(l) = c else { return .success(c) }
        l.numUnits = v
        return .success(.layer(l))
    }
}
