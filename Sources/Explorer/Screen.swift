import TerminalUI

/// Draws the whole screen for a state and the computed data: every pane, or the "enlarge" screen when the
/// terminal is below `Layout.minimum`. Pure: a grid in, a grid out.
public enum Screen {
    public static func render(into grid: inout CellGrid, state: ExplorerState, data: ScreenData) {
        let layout = Layout(width: grid.width, height: grid.height, state: state)
        guard layout.fits else {
            Layout.minimum.render(into: &grid)
            return
        }
        grid.withCanvas { c in
            c.clear()
            TitleBar.render(into: &c, rect: layout.title, state: state, data: data)
            StatusBar.render(into: &c, rect: layout.status, state: state, data: data)
            if !state.presenting {
                StackPane.render(into: &c, rect: layout.stack, state: state, focused: state.focus == .stack)
                SequencesPane.render(into: &c, rect: layout.sequences, state: state, data: data, focused: state.focus == .sequences)
                ShapesPane.render(into: &c, rect: layout.shapes, state: state, data: data, focused: state.focus == .shapes)
            }
            let right = state.presenting || state.focus == .frame || state.focus == .heatmap
            switch state.view {
            case .frame:
                FramePane.render(into: &c, rect: layout.frame, state: state, data: data, focused: state.focus == .frame)
                HeatmapPane.render(into: &c, rect: layout.heatmap, state: state, data: data, focused: state.focus == .heatmap)
            case .unrolled where state.presenting: PresentedUnrolled.render(into: &c, rect: layout.frame, state: state, data: data)
            case .unrolled: UnrolledPane.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
            case .equations where state.presenting: PresentedEquations.render(into: &c, rect: layout.frame, state: state, data: data)
            case .equations: EquationsPane.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
            case .saturation: SaturationPane.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
            case .backward:
                if let beside = data.beside {
                    // Two experiments, one above the other on the same steps and one log scale (`O`).
                    let (top, bottom) = layout.frame.splitRows(topHeight: layout.frame.height / 2)
                    BackwardView.render(into: &c, rect: top, state: state, data: data, focused: right, compact: true, name: state.spec.name)
                    var other = data
                    other.backward = beside.backward
                    BackwardView.render(into: &c, rect: bottom, state: beside.state, data: other, focused: false, compact: true, name: beside.name)
                } else {
                    BackwardView.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
                }
            case .compare where state.stepMask != nil && data.comparison == nil:
                MaskCompareView.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
            case .compare: CompareView.render(into: &c, rect: layout.frame, state: state, data: data, focused: right)
            }
            LessonPane.render(into: &c, rect: layout.lesson, state: state)
            MessageLine.render(into: &c, rect: layout.message, state: state)
            KeyHintBar.render(into: &c, rect: layout.keys, state: state)
            if state.showHelp { HelpOverlay.render(into: &c, glyphs: c.glyphs, colorMode: data.colorMode, scroll: state.overlayScroll) }
            if state.showLog { MessageLogOverlay.render(into: &c, log: state.messageLog, scroll: state.overlayScroll) }
        }
    }
}
