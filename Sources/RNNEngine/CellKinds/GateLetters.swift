/// The letter each framework's documentation gives a gate, so a front-end can label TF's recorded gates (`i`, `j`,
/// `f`, `o`; `r`, `u`, `c`) the way the experiment's framework writes them.
extension Gate {
    /// `self`'s letter in `convention`'s framework for a cell of `kind`: TF's LSTM `i j f o` and GRU `r u c`;
    /// Keras' LSTM `i f c o` and GRU `z r h`; PyTorch's LSTM `i f g o` and GRU `r z n`. A basic RNN's one block is
    /// its candidate.
    public func letter(in convention: Convention, kind: CellKind) -> String {
        let lstm = kind == .lstm || kind == .basicLSTM
        switch (self, convention) {
        case (.input, _): return "i"
        case (.forget, _): return "f"
        case (.output, _): return "o"
        case (.reset, _): return "r"
        case (.update, .keras), (.update, .torch): return "z"
        case (.update, _): return "u"
        case (.candidate, .keras): return lstm ? "c" : "h"
        case (.candidate, .torch): return lstm ? "g" : "n"
        case (.candidate, _): return lstm ? "j" : "c"
        }
    }
}
