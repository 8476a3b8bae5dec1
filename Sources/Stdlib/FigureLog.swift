import Foundation

/// The figure files written by the plot builtins (`savefig`, `out:` of `plot`, `plot_losses`, ...),
/// in the order they were written: the hook through which `dprm notebook` embeds the figures a
/// cell produced. The runner calls `drain()` before a cell (to drop what earlier code wrote) and
/// after it (the cell's figures).
///
/// A lock guards the list, so a plot written from another thread is not lost; paths are absolute.
public enum FigureLog {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String] = []

    /// Notes that a figure was written to `path` (made absolute). A path written twice is listed
    /// once, at its latest position, so a cell that redraws a figure embeds it once.
    public static func record(path: String) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        lock.lock()
        defer { lock.unlock() }
        paths.removeAll { $0 == absolute }
        paths.append(absolute)
    }

    /// The files recorded since the last `drain()`, oldest first; empties the log.
    public static func drain() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let out = paths
        paths = []
        return out
    }

    /// The files recorded since the last `drain()`, without emptying the log.
    public static func peek() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }
}
