import RNNEngine

/// The order `C` and the comparison view cycle conventions in.
enum ConventionChoice {
    /// The convention after `c` (tf, keras, torch, onnx, tf, ...), skipping `skipping`.
    static func next(after c: Convention, skipping: Convention? = nil) -> Convention {
        let all = Convention.allCases
        var i = all.firstIndex(of: c) ?? 0
        repeat { i = (i + 1) % all.count } while all[i] == skipping && all.count > 1
        return all[i]
    }

    /// The convention `C` tries after `c`: every convention in turn (tf, keras, torch, onnx, tf, ...); one that cannot
    /// hold the model refuses in one line and the next `C` tries the one after it (`ExplorerState.conventionTried`).
    static func cycle(after c: Convention, skipping: Convention? = nil) -> Convention {
        let all = Convention.allCases
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
