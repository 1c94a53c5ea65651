import TerminalUI

/// Where each pane goes for a terminal size. Below `minimum` the app shows the "enlarge" screen instead.
///
/// Rows: title, status, the panes, the message line, the key-hint bar. Left column: Stack, Sequences,
/// Shapes; right column: Frame above Heatmaps (the focused one of those two gets the spare rows).
public struct Layout: Equatable {
    public static let minimum = SizeGuard(minWidth: 60, minHeight: 18)

    public let width: Int
    public let height: Int
    public let title: Rect
    public let status: Rect
    public let message: Rect
    public let keys: Rect
    public let stack: Rect
    public let sequences: Rect
    public let shapes: Rect
    public let frame: Rect
    public let heatmap: Rect
    /// The lesson's text, at the foot of the panes (empty outside a lesson).
    public let lesson: Rect

    public var fits: Bool { Layout.minimum.isSatisfied(width: width, height: height) }

    public init(width: Int, height: Int, state: ExplorerState) {
        self.width = width
        self.height = height
        title = Rect(x: 0, y: 0, width: width, height: 1)
        status = Rect(x: 0, y: 1, width: width, height: 1)
        message = Rect(x: 0, y: max(0, height - 2), width: width, height: 1)
        keys = Rect(x: 0, y: max(0, height - 1), width: width, height: 1)
        let whole = Rect(x: 0, y: 2, width: width, height: max(0, height - 4))
        // A lesson's text takes the foot of the body; presentation mode gives the view the whole width.
        let lessonRows = LessonPane.rows(state: state, width: width, bodyHeight: whole.height)
        let (body, foot) = whole.splitRows(topHeight: whole.height - lessonRows)
        lesson = lessonRows > 0 ? foot : Rect(x: 0, y: body.maxY, width: 0, height: 0)
        let leftWidth = state.presenting ? 0 : width >= 100 ? min(52, width * 9 / 25) : max(28, width * 2 / 5)
        let (left, right) = body.splitColumns(leftWidth: leftWidth)

        // Left: the stack (one row per layer plus a footer), the sequences (one row per example plus
        // an axis), the shapes (the rest, at least 5 rows when there is room).
        let layerRows = state.layers.count + 3
        let seqRows = state.batchSize + 3
        let shapesWanted = 5 + state.layers.count * 2
        var stackH = layerRows, seqH = seqRows
        var shapesH = left.height - stackH - seqH
        if shapesH < min(shapesWanted, 6) {
            // Squeeze the two lists (they scroll) before the shapes.
            let spare = max(0, left.height - min(shapesWanted, 6))
            stackH = min(layerRows, max(3, spare / 2))
            seqH = min(seqRows, max(3, spare - stackH))
            shapesH = max(0, left.height - stackH - seqH)
        }
        let (st, rest) = left.splitRows(topHeight: stackH)
        let (sq, sh) = rest.splitRows(topHeight: seqH)
        stack = st
        sequences = sq
        shapes = Rect(x: sh.x, y: sh.y, width: sh.width, height: shapesH)

        // Right: frame view and heatmaps.
        let frameWanted = state.frameRows ?? FramePane.wantedRows(state: state, width: right.width)
        var frameH: Int
        if state.view != .frame {
            frameH = right.height  // the selected view takes the whole column
        } else if state.focus == .heatmap {
            frameH = min(frameWanted, max(5, right.height / 3))
        } else {
            // The focused frame gets what it needs (the heatmaps get the rest; Tab to them gives them the room).
            frameH = frameWanted
        }
        frameH = min(frameH, right.height)
        let (fr, hm) = right.splitRows(topHeight: frameH)
        frame = fr
        heatmap = hm
    }

    public func rect(for pane: Pane) -> Rect {
        switch pane {
        case .stack: return stack
        case .sequences: return sequences
        case .shapes: return shapes
        case .frame: return frame
        case .heatmap: return heatmap
        }
    }

    /// The pane at a screen position.
    public func pane(atX x: Int, y: Int) -> Pane? {
        Pane.allCases.first { rect(for: $0).contains(x: x, y: y) }
    }
}

/// The window of time steps the heatmaps show (and the frames the model keeps): it holds the cursor and
/// only moves when the cursor leaves it.
public enum FrameWindow {
    /// The window start for cursor `t`, keeping `start` when `t` is still inside.
    public static func adjusted(start: Int, t: Int, columns: Int, maxTime: Int) -> Int {
        let cols = max(1, columns)
        let maxStart = max(0, maxTime - cols)
        var s = min(max(0, start), maxStart)
        if t < s || t >= s + cols {
            s = t - cols / 2
        }
        return min(max(0, s), maxStart)
    }

    /// The range of steps shown from `start`.
    public static func range(start: Int, columns: Int, maxTime: Int) -> Range<Int> {
        let lo = min(max(0, start), max(0, maxTime))
        return lo..<min(maxTime, lo + max(1, columns))
    }
}
