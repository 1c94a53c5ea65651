import RNNEngine

/// What the backward view draws of the experiment open beside the first (`O`, `--beside`): its own state (the
/// cursor, example, layer and unit follow the first's, clamped to its sizes), its sweep's data, and its name.
/// Both `BackwardData`s carry the union of their runs' norms, so both draw on one log scale.
public struct BesideData {
    public var state: ExplorerState
    public var backward: BackwardData
    public var name: String
}
