/// Errors a user can cause while building or drawing a figure. Each message names what is wrong
/// (the option, the array, the gnuplot command and its line) so the language can show it as is.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// gnuplot rejected a command. `line` is the 1-based line of the generated script (the text
    /// `Figure.gnuplotScript` returns), `command` that line's text, `message` gnuplot's words.
    case gnuplot(message: String, command: String, line: Int)
    /// gnuplot exited with a failure status without naming a command.
    case gnuplotFailed(status: Int32, stderr: String)
    /// gnuplot is needed (SVG, PDF, text plots) but not installed.
    case gnuplotMissing(needed: String)
    /// A figure or option is malformed: arrays of different lengths, unknown option, bad value.
    case invalid(String)
    /// Reading or writing a file failed.
    case io(path: String, message: String)

    /// How to get gnuplot, shown whenever it is missing.
    public static let installHint =
        "install gnuplot with `scripts/setup` (or `sudo apt-get install gnuplot-nox`)"

    public var description: String {
        switch self {
        case let .gnuplot(message, command, line):
            return "gnuplot error at line \(line) of the figure script: \(message)\n  \(command)"
        case let .gnuplotFailed(status, stderr):
            let detail = stderr.isEmpty ? "" : ": \(stderr)"
            return "gnuplot exited with status \(status)\(detail)"
        case let .gnuplotMissing(needed):
            return "gnuplot is not installed; it is needed for \(needed). \(PlotError.installHint)"
        case let .invalid(message):
            return message
        case let .io(path, message):
            return "\(path): \(message)"
        }
    }
}
