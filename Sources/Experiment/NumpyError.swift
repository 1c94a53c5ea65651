/// A problem reading or writing a NumPy `.npy` array or `.npz` archive.
///
/// The description names what was being read or written (a file, an archive entry or an
/// array name) and what is wrong, e.g.
/// `weights.npz, entry 'rnn/kernel.npy': unsupported dtype '>f4' (big-endian); supported: '<f4', '<f8', '<i4', '<i8'`.
public struct NumpyError: Error, CustomStringConvertible, Equatable {
    /// The file, entry or array the problem is about.
    public var subject: String
    /// What is wrong, with the expected and the actual value where there are any.
    public var problem: String

    /// An error about `subject`.
    public init(_ subject: String, _ problem: String) {
        // Both may hold a user's text (paths, entry names, header excerpts): kept to one line here.
        self.subject = SafeText.quote(subject, limit: 200)
        self.problem = SafeText.oneLine(problem)
    }

    /// `subject: problem` on one line (control characters escaped, long parts cut with `…`).
    public var description: String { "\(subject): \(problem)" }
}
