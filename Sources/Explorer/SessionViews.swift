import Experiment
import RNNEngine

/// What the backward and comparison views and the convention switch ask of a session (implemented by `Session`
/// in `Backward/GradientPass.swift` and `Compare/`).
public protocol SessionViews: AnyObject {
    /// The engine's backward sweep of direction `direction` for `selection`, or why there is none.
    func gradientPass(direction: Direction, selection: BackwardSelection, state: ExplorerState) -> Result<GradientSource, BackwardRefusal>
    /// Starts comparing the experiment under its convention with `other` in the background.
    func comparison(with other: Convention) -> ComparisonRun
    /// Starts comparing the experiment with `other` (another experiment on the same inputs) in the background.
    func comparison(beside other: ExplorerSession, names: (String, String)) -> ComparisonRun
    /// A session running the same model under `convention` (converted), or why it cannot.
    func switched(to convention: Convention) throws -> (session: ExplorerSession, note: String)
}
