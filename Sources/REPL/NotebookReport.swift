import Foundation
import Lang
import Stdlib

/// Runs every cell of a notebook-style script and renders the results as one self-contained HTML
/// page or a Markdown file (`dprm notebook FILE.dprm -o report.html`).
///
/// Execution stops at the first failing cell: later cells depend on earlier ones, so running them
/// would only add follow-on errors. The failing cell shows its diagnostic; the cells after it are
/// listed as not run, and the page says so at the top.
///
/// Figures: a cell's figures are the files the plot builtins reported through `Stdlib.FigureLog`
/// while it ran, the `.png` / `.svg` files created or changed while it ran in the watched folders
/// (the working directory, the notebook's folder and the report's folder, plus their direct
/// subfolders: this catches images written by other means), and a string result that names an
/// existing image file. HTML inlines them as base64 data URIs; Markdown links them by path.
public struct NotebookReport {
    public enum Status: String { case ok, failed, notRun = "not run" }

    /// An image a cell produced.
    public struct Figure {
        public let path: String
        public let mime: String
        public let data: Data
    }

    /// The outcome of one cell.
    public struct CellResult {
        public let cell: NotebookCell
        public var status: Status = .notRun
        /// Everything the cell printed (through the interpreter's output sink).
        public var output = ""
        /// The displayed value of the cell's last expression, if not nil.
        public var value: String?
        public var figures: [Figure] = []
        public var seconds = 0.0
        /// The rendered diagnostic of a failing cell.
        public var error: String?
        /// The error itself (for the exit code).
        public var dprmError: DprmError?
    }

    public let path: String
    /// The dprm version and the script arguments (the words after `--`), shown in the report's header.
    public var version: String?
    public var arguments: [String] = []
    public var cells: [CellResult] = []
    public var totalSeconds = 0.0
    public var started = Date()

    /// The first failure, if any.
    public var failure: CellResult? { cells.first { $0.status == .failed } }

    /// Runs the notebook at `path` with `interpreter`. `watch` lists folders searched for new figures.
    public static func run(path: String, interpreter: Interpreter, watch: [String]) throws -> NotebookReport {
        let text = try ScriptRunner.read(path)
        var report = NotebookReport(path: path)
        let all = Notebook.cells(text)
        try ScriptRunner.checkSyntax(interpreter, all, path: path)
        report.cells = all.map { CellResult(cell: $0) }
        let sink = OutputBuffer()
        let savedOutput = interpreter.output
        interpreter.output = { sink.text += $0 }
        defer { interpreter.output = savedOutput }
        let folders = Array(Set(watch.map { URL(fileURLWithPath: $0).standardizedFileURL.path })).sorted()
        let t0 = monotonicSeconds()
        for k in report.cells.indices {
            if report.cells[k].cell.kind == .markdown { report.cells[k].status = .ok; continue }
            let before = FigureScan.snapshot(folders)
            _ = FigureLog.drain()
            sink.text = ""
            let start = monotonicSeconds()
            do {
                let v = try InterruptController.shared.whileRunning(interpreter) {
                    try interpreter.evaluate(cell: report.cells[k].cell, file: path)
                }
                report.cells[k].status = .ok
                if case .nil = v {} else {
                    report.cells[k].value = ValueDisplay.show(v)
                    interpreter.setGlobal("_", v)
                }
                var figures = FigureLog.drain().filter(FigureScan.isImage)
                func add(_ p: String) {
                    let abs = URL(fileURLWithPath: p).standardizedFileURL.path
                    if !figures.contains(abs) { figures.append(abs) }
                }
                FigureScan.changed(since: before, in: folders).forEach(add)
                if case .string(let s) = v, FigureScan.isImage(s), FileManager.default.fileExists(atPath: s) { add(s) }
                report.cells[k].figures = figures.compactMap(FigureScan.load)
            } catch let e as DprmError {
                report.cells[k].status = .failed
                report.cells[k].error = e.render()
                report.cells[k].dprmError = e
            } catch {
                report.cells[k].status = .failed
                report.cells[k].error = "error: \(error)"
            }
            report.cells[k].seconds = monotonicSeconds() - start
            report.cells[k].output = sink.text
            if report.cells[k].status == .failed {
                // Prose after the failure still renders; code cells stay "not run".
                for j in (k + 1)..<report.cells.count where report.cells[j].cell.kind == .markdown { report.cells[j].status = .ok }
                break
            }
        }
        report.totalSeconds = monotonicSeconds() - t0
        return report
    }

    var title: String {
        for c in cells where c.cell.kind == .markdown {
            for line in c.cell.source.split(separator: "\n") where line.hasPrefix("# ") {
                return String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            }
        }
        return URL(fileURLWithPath: path).lastPathComponent
    }

    var codeCount: Int { cells.filter { $0.cell.kind == .code }.count }

    /// When, with what and how: the date, the dprm version, the arguments and the total time.
    var provenance: String {
        var parts = ["run " + ISO8601DateFormatter().string(from: started)]
        if let v = version { parts.append("dprm " + v) }
        parts.append(arguments.isEmpty ? "no arguments" : "arguments: " + arguments.map(shellQuoted).joined(separator: " "))
        parts.append(ValueDisplay.duration(totalSeconds) + " total")
        return parts.joined(separator: " · ")
    }

    func shellQuoted(_ word: String) -> String {
        word.isEmpty || word.contains(where: { " \"'\\$`".contains($0) }) ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : word
    }

    var statusLine: String {
        if let f = failure {
            let skipped = cells.filter { $0.cell.kind == .code && $0.status == .notRun }.count
            return "Stopped at cell \(f.cell.index): it failed, so the \(skipped) code cell\(skipped == 1 ? "" : "s") after it did not run."
        }
        return "All \(codeCount) code cell\(codeCount == 1 ? "" : "s") ran in \(ValueDisplay.duration(totalSeconds))."
    }

    func cellHeading(_ c: CellResult) -> String {
        var s = "Cell \(c.cell.index)"
        if let t = c.cell.title { s += ": " + t }
        return s
    }

    // MARK: HTML

    /// One self-contained page: styles inline, figures as data URIs, no external requests.
    public func html() -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="dprm notebook">
        <title>\(Markdown.escape(title))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.5; }
        header.report { border-bottom: 1px solid #d0d7de; margin-bottom: 1.5rem; color: #57606a; font-size: 0.9rem; }
        header.report .status.failed { color: #cf222e; font-weight: 600; }
        section.cell { margin: 1.2rem 0; }
        section.code { border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; }
        section.code > .head { background: #f6f8fa; padding: 0.3rem 0.7rem; font-size: 0.85rem; color: #57606a; display: flex; justify-content: space-between; }
        section.failed { border-color: #cf222e; }
        section.failed > .head { background: #ffebe9; }
        section.notrun { opacity: 0.55; }
        pre { margin: 0; padding: 0.6rem 0.8rem; white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.85rem; }
        pre.source { background: #fbfbfc; border-bottom: 1px solid #eaeef2; }
        pre.output { background: #fff; }
        pre.value { background: #f3f8ff; color: #0a3069; }
        pre.error { background: #fff5f5; color: #a40e26; }
        .figures img { max-width: 100%; display: block; margin: 0.5rem auto; }
        .markdown code, .markdown pre { background: #f6f8fa; border-radius: 4px; }
        .markdown code { padding: 0.1rem 0.3rem; }
        </style>
        </head>
        <body>
        <header class="report">
        <p><strong>\(Markdown.escape(URL(fileURLWithPath: path).lastPathComponent))</strong> &middot; \(Markdown.escape(provenance))</p>
        <p class="status\(failure == nil ? "" : " failed")">\(Markdown.escape(statusLine))</p>
        </header>

        """
        for c in cells {
            if c.cell.kind == .markdown {
                h += "<section class=\"cell markdown\" id=\"cell-\(c.cell.index)\">\n\(Markdown.toHTML(c.cell.source))\n</section>\n"
                continue
            }
            let cls = c.status == .failed ? " failed" : (c.status == .notRun ? " notrun" : "")
            let timing = c.status == .notRun ? "not run" : (c.status == .failed ? "failed after " : "") + ValueDisplay.duration(c.seconds)
            h += "<section class=\"cell code\(cls)\" id=\"cell-\(c.cell.index)\">\n"
            h += "<div class=\"head\"><span>\(Markdown.escape(cellHeading(c)))</span><span class=\"time\">\(Markdown.escape(timing))</span></div>\n"
            h += "<pre class=\"source\"><code>\(Markdown.escape(trimmedSource(c.cell.source)))</code></pre>\n"
            if !c.output.isEmpty { h += "<pre class=\"output\">\(Markdown.escape(c.output))</pre>\n" }
            if let v = c.value { h += "<pre class=\"value\">\(Markdown.escape(v))</pre>\n" }
            if !c.figures.isEmpty {
                h += "<div class=\"figures\">\n"
                for f in c.figures {
                    h += "<figure><img src=\"data:\(f.mime);base64,\(f.data.base64EncodedString())\" alt=\"\(Markdown.escape(f.path))\"><figcaption>\(Markdown.escape(f.path))</figcaption></figure>\n"
                }
                h += "</div>\n"
            }
            if let e = c.error { h += "<pre class=\"error\">\(Markdown.escape(e))</pre>\n" }
            if c.status == .notRun { h += "<pre class=\"output\">(not run: an earlier cell failed)</pre>\n" }
            h += "</section>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }

    // MARK: Markdown

    /// The report as Markdown: prose as written, code and results in fences, figures linked by
    /// path relative to `reportDirectory`.
    public func markdown(reportDirectory: String) -> String {
        var m = "> `\(URL(fileURLWithPath: path).lastPathComponent)` · \(provenance)  \n> \(statusLine)\n\n"
        for c in cells {
            if c.cell.kind == .markdown { m += c.cell.source.trimmingCharacters(in: .newlines) + "\n\n"; continue }
            let timing = c.status == .notRun ? "not run" : (c.status == .failed ? "failed after " : "") + ValueDisplay.duration(c.seconds)
            m += "**\(cellHeading(c))** (\(timing))\n\n"
            m += fenced(trimmedSource(c.cell.source), info: "dprm")
            if !c.output.isEmpty { m += fenced(c.output, info: "text") }
            if let v = c.value { m += fenced(v, info: "text") }
            for f in c.figures { m += "![\(f.path)](\(relative(f.path, to: reportDirectory)))\n\n" }
            if let e = c.error { m += "**Error:**\n\n" + fenced(e, info: "text") }
            if c.status == .notRun { m += "_(not run: an earlier cell failed)_\n\n" }
        }
        return m
    }

    func fenced(_ text: String, info: String) -> String {
        var fence = "```"
        while text.contains(fence) { fence += "`" }
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return "\(fence)\(info)\n\(body)\n\(fence)\n\n"
    }

    func trimmedSource(_ s: String) -> String { s.trimmingCharacters(in: .newlines) }

    /// `path` relative to the folder `dir` (with `..` where needed), so a Markdown report's links
    /// work wherever the report and its figures are moved together.
    func relative(_ path: String, to dir: String) -> String {
        let p = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let d = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < min(p.count, d.count) && p[common] == d[common] { common += 1 }
        return (Array(repeating: "..", count: d.count - common) + p[common...]).joined(separator: "/")
    }
}

/// Collects what `print` writes during one cell.
final class OutputBuffer { var text = "" }

/// Finds image files written during a cell by comparing folder listings.
enum FigureScan {
    struct Stamp: Equatable { let modified: Date; let size: Int }

    static func isImage(_ p: String) -> Bool {
        let l = p.lowercased(); return l.hasSuffix(".png") || l.hasSuffix(".svg")
    }

    /// Images in the folders and their direct subfolders (hidden and build folders skipped).
    static func snapshot(_ folders: [String]) -> [String: Stamp] {
        var out: [String: Stamp] = [:]
        let fm = FileManager.default
        func scan(_ dir: String, depth: Int) {
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return }
            for n in names where !n.hasPrefix(".") {
                let p = dir + "/" + n
                if isImage(n) {
                    if let a = try? fm.attributesOfItem(atPath: p) {
                        out[p] = Stamp(modified: a[.modificationDate] as? Date ?? .distantPast, size: (a[.size] as? NSNumber)?.intValue ?? 0)
                    }
                } else if depth > 0 {
                    var isDir: ObjCBool = false
                    if fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue { scan(p, depth: depth - 1) }
                }
            }
        }
        for f in folders { scan(f, depth: 1) }
        return out
    }

    /// Images that are new or changed since `before`, sorted by path.
    static func changed(since before: [String: Stamp], in folders: [String]) -> [String] {
        snapshot(folders).filter { before[$0.key] != $0.value }.map(\.key).sorted()
    }

    static func load(_ path: String) -> NotebookReport.Figure? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let mime = path.lowercased().hasSuffix(".svg") ? "image/svg+xml" : "image/png"
        return NotebookReport.Figure(path: path, mime: mime, data: data)
    }
}
