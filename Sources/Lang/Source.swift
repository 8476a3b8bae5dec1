import Foundation

/// Byte offsets `[start, end)` into a `SourceFile`.
struct Span {
    var start: Int
    var end: Int
    static func + (a: Span, b: Span) -> Span { Span(start: min(a.start, b.start), end: max(a.end, b.end)) }
}

/// The text of one input (a file, a cell, a REPL entry) with what is needed to name places in it.
final class SourceFile {
    /// Display name: a path, `repl:5`, or `-e`.
    let name: String
    /// Full path of the file when it is one (imports resolve relative to its directory).
    let path: String?
    let bytes: [UInt8]
    /// Line number of the first line (cells start in the middle of their file).
    let firstLine: Int
    /// Notebook cell index, when the source is one cell of a notebook.
    let cell: Int?
    private var lineStarts: [Int] = [0]

    init(text: String, name: String, path: String? = nil, firstLine: Int = 1, cell: Int? = nil) {
        self.bytes = Array(text.utf8); self.name = name; self.path = path
        self.firstLine = firstLine; self.cell = cell
        for (i, b) in bytes.enumerated() where b == 10 { lineStarts.append(i + 1) }
    }

    /// 0-based line index and 1-based column of an offset.
    func lineColumn(_ offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let col = String(decoding: bytes[lineStarts[lo]..<min(max(offset, lineStarts[lo]), bytes.count)], as: UTF8.self).count + 1
        return (lo, col)
    }

    func lineText(_ index: Int) -> String {
        let start = lineStarts[index]
        var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
        if end > start && bytes[end - 1] == 13 { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    func text(_ span: Span) -> String { String(decoding: bytes[span.start..<min(span.end, bytes.count)], as: UTF8.self) }

    /// A user-facing location for a span.
    func location(_ span: Span) -> SourceLocation {
        let (li, col) = lineColumn(span.start)
        let line = lineText(li)
        // Underline to the end of the span, clipped to its first line.
        let (eli, ecol) = lineColumn(max(span.start, span.end))
        let length = eli == li ? max(1, ecol - col) : max(1, line.count - col + 1)
        return SourceLocation(file: name, line: firstLine + li, column: col, length: length, cell: cell, sourceLine: line)
    }
}
