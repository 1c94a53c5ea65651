import Experiment
import RNNEngine
import TerminalUI

/// What the panes draw besides `ExplorerState`: the computed frames in the window, the progress of the
/// background pass and the shapes of the data. Gathered once per redraw by `ExplorerApp`.
public struct ScreenData {
    /// Frames of the selected direction for `windowRange` (those computed so far).
    public var window: [FrameData]
    public var windowRange: Range<Int>
    public var inputShape: [Int]
    /// Steps computed in the selected direction.
    public var computed: Int
    /// Steps computed / total over all directions.
    public var progress: (done: Int, total: Int)
    /// The loop bound of the selected direction.
    public var loopBound: Int
    public var failure: String?
    public var fileName: String
    public var colorMode: ColorMode
    /// The engine's masking rule: is row `b` of direction `d` masked at step `t`?
    public var isMasked: (_ direction: Direction, _ row: Int, _ time: Int) -> Bool
    /// The input step a row reads at a step of direction `d` (the reversed position backward).
    public var sourceStep: (_ direction: Direction, _ row: Int, _ time: Int) -> Int
    /// The loop bound of each direction.
    public var loopBounds: [Direction: Int]
    /// Gate saturation of the selected layer (view 4 only).
    public var saturation: GateSaturation?
    /// The backward sweep (view 5 only).
    public var backward: BackwardData?
    /// The comparison of two conventions (view 6 only).
    public var comparison: ComparisonRun?
    /// The padding doctor's table of a masked experiment (view 6 under a mask), or why there is none.
    public var paddingDiagnosis: PaddingDiagnosis?
    public var paddingRefusal: String?
    /// The weights the cells use, by TF variable name, with their shapes (the Shapes pane lists them per layer).
    public var weightShapes: [(name: String, shape: [Int])] = []
    /// The experiment open beside this one (`O`), as the backward view draws it below this one's (view 5 only).
    public var beside: BesideData?

    public init(window: [FrameData], windowRange: Range<Int>, inputShape: [Int], computed: Int,
                progress: (done: Int, total: Int), loopBound: Int, failure: String?, fileName: String,
                colorMode: ColorMode, isMasked: @escaping (Direction, Int, Int) -> Bool = { _, _, _ in false },
                sourceStep: @escaping (Direction, Int, Int) -> Int = { _, _, t in t }, loopBounds: [Direction: Int] = [:],
                saturation: GateSaturation? = nil) {
        self.window = window
        self.windowRange = windowRange
        self.inputShape = inputShape
        self.computed = computed
        self.progress = progress
        self.loopBound = loopBound
        self.failure = failure
        self.fileName = fileName
        self.colorMode = colorMode
        self.isMasked = isMasked
        self.sourceStep = sourceStep
        self.loopBounds = loopBounds
        self.saturation = saturation
    }

    /// The frame at step `t`, if computed and in the window.
    public func frame(at t: Int) -> FrameData? {
        guard windowRange.contains(t) else { return nil }
        let i = t - windowRange.lowerBound
        guard i < window.count, window[i].time == t else { return window.first { $0.time == t } }
        return window[i]
    }

    public var isComputing: Bool { progress.done < progress.total }
}

/// The marks of a block of unit rows that shows units `first..<first + rows` of `total`: `↑N` in the name column
/// of its second row when N units are hidden above, `↓N` in that of its last row when N are hidden below (the
/// first row's name column holds the block's name). Styled like the panes' "more" marks.
func drawUnitMarks(_ c: inout Canvas, x: Int, y: Int, rows: Int, first: Int, total: Int) {
    guard rows > 1 else { return }
    let above = first, below = max(0, total - first - rows)
    if below > 0 { c.put(x: x, y: y + rows - 1, fit("\(c.glyphs.arrowDown)\(below)", 3), style: Styles.more) }
    if above > 0, rows > 2 || below == 0 { c.put(x: x, y: y + 1, fit("\(c.glyphs.arrowUp)\(above)", 3), style: Styles.more) }
}

/// A pane's border with its title; the focused pane's border is highlighted. Returns the interior.
/// When rows are hidden, "↑ N more" goes on the top edge (`above` rows) and "↓ N more" on the bottom one (`below`
/// rows), right-aligned; `BorderLabels` keeps them clear of the title (shortening it first). `longTitle` is
/// used instead of `title` when it fits whole.
@discardableResult
func drawPaneBox(_ c: inout Canvas, _ rect: Rect, title: String, longTitle: String? = nil, focused: Bool,
                 above: Int = 0, below: Int = 0) -> Rect {
    let style = focused ? Styles.focusedBorder : Styles.border
    c.box(rect, titles: (longTitle.map { [$0] } ?? []) + [title], style: style,
          titleStyle: focused ? Styles.focusedBorder.adding(.reverse) : CellStyle.bold,
          topMarks: moreMarks(c.glyphs.arrowUp, above), bottomMarks: moreMarks(c.glyphs.arrowDown, below), markStyle: Styles.more)
    return rect.interior
}

/// Redraws a scrolling pane's border (drawn first by `drawPaneBox`; the interior is left alone) once the pane knows
/// how many rows are hidden above and below.
func drawMoreMarks(_ c: inout Canvas, _ rect: Rect, title: String, longTitle: String? = nil, focused: Bool, above: Int, below: Int) {
    drawPaneBox(&c, rect, title: title, longTitle: longTitle, focused: focused, above: above, below: below)
}

/// The forms of the mark for `count` hidden rows, longest first ("↑ 3 more", "↑ 3", "↑"); none for 0.
func moreMarks(_ arrow: Character, _ count: Int) -> [String] {
    count > 0 ? ["\(arrow) \(count) more", "\(arrow) \(count)", String(arrow)] : []
}

/// Greedy word wrap of `text` into lines of at most `width` (long words are cut). Spaces inside
/// brackets (`[4, 6]`) do not break when the bracketed part fits on a line. With `keepingParentheses` (expressions,
/// shapes), spaces inside parentheses do not break either when the group fits; a group too long for a line breaks at
/// one of its own spaces, else just after its last `(` (or `=`), before it breaks inside brackets.
func wrapText(_ text: String, width: Int, keepingParentheses: Bool = false) -> [String] {
    guard width > 0 else { return [] }
    let glue: Character = "\u{1}", soft: Character = "\u{2}"
    var brackets = 0, parentheses = 0
    var glued = ""
    for ch in text {
        if ch == "[" { brackets += 1 } else if ch == "]" { brackets = max(0, brackets - 1) }
        if ch == "(" { parentheses += 1 } else if ch == ")" { parentheses = max(0, parentheses - 1) }
        glued.append(ch != " " ? ch : brackets > 0 ? glue : keepingParentheses && parentheses > 0 ? soft : ch)
    }
    return wrapWords(glued, width: width, glue: glue, soft: soft).map { String($0.map { $0 == glue || $0 == soft ? " " : $0 }) }
}

private func wrapWords(_ text: String, width: Int, glue: Character, soft: Character) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        var w = String(word)
        while w.count > width {
            if !current.isEmpty { lines.append(current); current = "" }
            // Break a long word at its last space inside parentheses that fits, else just after its last `(` (or `=`), else at its
            // last space inside brackets, else cut it.
            let head = Array(w.prefix(width))
            if let k = head.lastIndex(of: soft), k > 0 {
                lines.append(String(head[..<k]))
                w = String(w.dropFirst(k + 1))
            } else if let k = head.lastIndex(of: "(") ?? head.lastIndex(of: "="), k > 0, k + 1 < head.count, head[..<k].allSatisfy({ $0 != glue }) {
                lines.append(String(head[...k]))
                w = String(w.dropFirst(k + 1))
            } else if let k = head.lastIndex(of: glue), k > 0 {
                lines.append(String(head[..<k]))
                w = String(w.dropFirst(k + 1))
            } else {
                lines.append(String(head))
                w = String(w.dropFirst(width))
            }
        }
        if current.isEmpty { current = w }
        else if current.count + 1 + w.count <= width { current += " " + w }
        else { lines.append(current); current = w }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

/// Pads or cuts `s` to exactly `n` columns.
func fit(_ s: String, _ n: Int) -> String {
    if n <= 0 { return "" }
    if s.count >= n { return String(s.prefix(n)) }
    return s + String(repeating: " ", count: n - s.count)
}
