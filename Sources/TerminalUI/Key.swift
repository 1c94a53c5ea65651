/// What a mouse event was.
public enum MouseKind: Hashable, Sendable {
    case press
    case release
    case scrollUp
    case scrollDown
}

/// A key press (or resize / mouse event) read from a terminal.
public enum Key: Hashable, Sendable {
    /// A printable character (including space).
    case char(Character)
    case up, down, left, right
    case home, end, pageUp, pageDown
    case tab, backTab
    case enter, escape, backspace, delete
    /// F1 … F63.
    case function(Int)
    /// The terminal changed size; read `Terminal.size` again.
    case resize
    /// A mouse event at a 0-based cell.
    case mouse(x: Int, y: Int, kind: MouseKind)
    /// Ctrl plus a key, as its lowercase letter (`ctrl("c")`) or `@ [ \ ] ^ _` for the others.
    case ctrl(Character)
}
