/// A width × height frame of cells: what the app draws and a `Terminal` presents.
/// A value type; drawing goes through the `DrawingSurface` methods (`put`, `fill`, `box`, …),
/// all of which clip. Negative sizes become 0.
public struct CellGrid: DrawingSurface, Hashable, Sendable {
    public let width: Int
    public let height: Int
    public var glyphs: Glyphs
    /// Row-major cells, `width * height` of them.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.glyphs = glyphs
        self.cells = Array(repeating: fill, count: self.width * self.height)
    }

    public func cell(x: Int, y: Int) -> Cell? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        return cells[y * width + x]
    }

    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = cell
    }

    /// Cell access; reads outside give `.blank`, writes outside are ignored.
    public subscript(x: Int, y: Int) -> Cell {
        get { cell(x: x, y: y) ?? .blank }
        set { set(x: x, y: y, newValue) }
    }

    /// Row y as text with trailing spaces trimmed ("" outside the grid).
    public func row(_ y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var s = String(cells[(y * width)..<((y + 1) * width)].map(\.char))
        while s.last == " " { s.removeLast() }
        return s
    }

    /// All rows (see `row`) joined by "\n".
    public var text: String {
        (0..<height).map(row).joined(separator: "\n")
    }

    /// Runs `body` with a `Canvas` on `rect` (clipped to the grid): local coordinates
    /// start at the rect's corner and drawing is clipped to it.
    public mutating func withCanvas<R>(_ rect: Rect, _ body: (inout Canvas) throws -> R) rethrows -> R {
        var canvas = Canvas(grid: self, frame: rect.intersection(bounds))
        self = CellGrid(width: 0, height: 0)  // let the canvas own the storage uniquely
        defer { self = canvas.grid }
        return try body(&canvas)
    }

    /// Runs `body` with a `Canvas` on the whole grid.
    public mutating func withCanvas<R>(_ body: (inout Canvas) throws -> R) rethrows -> R {
        try withCanvas(bounds, body)
    }
}

/// A rectangular region of a `CellGrid`: drawing uses local coordinates and is clipped to
/// the region. Obtain one with `CellGrid.withCanvas(_:_:)`; nest with `withRegion(_:_:)`.
public struct Canvas: DrawingSurface {
    var grid: CellGrid
    /// The region in grid coordinates (already clipped to the grid).
    public let frame: Rect

    init(grid: CellGrid, frame: Rect) {
        self.grid = grid
        self.frame = frame
    }

    public var width: Int { frame.width }
    public var height: Int { frame.height }
    public var glyphs: Glyphs { grid.glyphs }

    public func cell(x: Int, y: Int) -> Cell? {
        guard x >= 0, y >= 0, x < frame.width, y < frame.height else { return nil }
        return grid.cell(x: frame.x + x, y: frame.y + y)
    }

    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < frame.width, y < frame.height else { return }
        grid.set(x: frame.x + x, y: frame.y + y, cell)
    }

    /// Runs `body` with a canvas on `rect` (local coordinates, clipped to this canvas).
    public mutating func withRegion<R>(_ rect: Rect, _ body: (inout Canvas) throws -> R) rethrows -> R {
        let local = rect.intersection(bounds)
        var inner = Canvas(grid: CellGrid(width: 0, height: 0),
                           frame: local.offsetBy(dx: frame.x, dy: frame.y))
        swap(&inner.grid, &grid)
        defer { swap(&inner.grid, &grid) }
        return try body(&inner)
    }
}
