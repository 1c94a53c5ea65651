import RNNEngine

/// The order `C` and the comparison view cycle conventions in.
enum ConventionChoice {
    /// The convention after `c` (tf, keras, torch, tf, ...: those that convert, `Convention.supportsConversion`), skipping `skipping`.
    static func next(after c: Convention, skipping: Convention? = nil) -> Convention {
        let all = Convention.allCases.filter(\.supportsConversion)
        var i = all.firstIndex(of: c) ?? 0
        repeat { i = (i + 1) % all.count } while all[i] == skipping && all.count > 1
        return all[i]
    }

    /// The convention the comparison view sets beside the experiment's.
    static func other(_ s: ExplorerState) -> Convention {
        if let c = s.compareWith, c != s.spec.convention { return c }
        return next(after: s.spec.convention)
    }
}
