import Foundation

/// One cell of a notebook-style script (Jupytext "percent" format).
public struct NotebookCell: Equatable {
    public enum Kind: String { case code, markdown }
    /// 0 for text before the first `# %%` marker (only present when not blank), then 1, 2, ...
    public let index: Int
    /// Text after `# %%` on the marker line (without a `[markdown]` tag); nil if none.
    public let title: String?
    public let kind: Kind
    /// The cell's text, without its marker line. For markdown cells, the leading `# ` of each
    /// line is removed.
    public let source: String
    /// 1-based line number in the file of the first line of `source`.
    public let firstLine: Int
}

/// Splits a script into cells at lines starting with `# %%`.
public enum Notebook {
    public static func cells(_ text: String) -> [NotebookCell] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var cells: [NotebookCell] = []
        var current: [String] = []
        var title: String? = nil
        var kind = NotebookCell.Kind.code
        var start = 1
        var index = 0
        var sawMarker = false
        func flush() {
            let body = current.joined(separator: "\n")
            let isBlank = body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            if sawMarker || !isBlank {
                var source = body
                if kind == .markdown {
                    source = current.map { l in
                        if l.hasPrefix("# ") { return String(l.dropFirst(2)) }
                        if l == "#" { return "" }
                        return l
                    }.joined(separator: "\n")
                }
                cells.append(NotebookCell(index: index, title: title, kind: kind, source: source, firstLine: start))
            }
        }
        for (i, line) in lines.enumerated() {
            if isMarker(line) {
                flush()
                index += 1
                sawMarker = true
                var rest = line.trimmingCharacters(in: .whitespaces)
                rest = String(rest.dropFirst(rest.hasPrefix("# %%") ? 4 : 3)).trimmingCharacters(in: .whitespaces)
                kind = .code
                if rest.hasPrefix("[markdown]") || rest.hasPrefix("[md]") {
                    kind = .markdown
                    rest = String(rest.drop(while: { $0 != "]" }).dropFirst()).trimmingCharacters(in: .whitespaces)
                }
                title = rest.isEmpty ? nil : rest
                current = []
                start = i + 2
            } else {
                current.append(line)
            }
        }
        flush()
        return cells
    }

    static func isMarker(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("# %%") || t.hasPrefix("#%%")
    }

    /// The code cells whose index is in `range` (e.g. from `--cells 2..4`, inclusive).
    public static func select(_ cells: [NotebookCell], _ range: ClosedRange<Int>) -> [NotebookCell] {
        cells.filter { range.contains($0.index) }
    }
}
