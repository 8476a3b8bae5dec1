/// A file that could not be read or written: the path, which of the two, and what went wrong.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public enum Access: Sendable { case read, write }
    public let path: String
    public let access: Access
    public let problem: String

    public init(path: String, _ access: Access, problem: String) {
        self.path = path
        self.access = access
        self.problem = problem
    }

    /// "cannot write 'out.json': folder '/x' does not exist" or "model.safetensors: cannot open: ...".
    public var description: String { access == .write ? "cannot write '\(path)': \(problem)" : "\(path): \(problem)" }
}
