import TerminalUI

/// The key bar's first hints in the backward and comparison views: the keys that matter there, named from the
/// keymap table (what they do there is said here, in a word or two).
enum ViewKeyHints {
    static func hints(_ s: ExplorerState, glyphs: Glyphs) -> [(String, String)] {
        let key = Keymap.names(glyphs: glyphs)
        switch s.view {
        case .backward:
            return [(key(.stepNext), "back"), (key(.stepPrevious), "fwd"), (key(.first), "loss step"), (key(.lossNext), "loss"),
                    (key(.weightGradients), s.backwardWeights ? "units" : "weights"),
                    (key(.conventionNext), "convention"), (key(.view(.frame)), "frame")]
        case .compare where s.beside != nil:
            // Two experiment files compared: 6 again does not change what is compared.
            return [(key(.openBeside), "close beside"), (key(.view(.frame)), "frame")]
        case .compare:
            return [(key(.view(.compare)), "other convention"), (key(.conventionNext), "convention"), (key(.view(.frame)), "frame")]
        default:
            return []
        }
    }
}
