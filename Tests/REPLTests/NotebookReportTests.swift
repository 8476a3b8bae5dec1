import XCTest
import Lang
import Stdlib
@testable import REPL

final class NotebookReportTests: XCTestCase {
    /// A 1x1 PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC")!

    func makeNotebook(in dir: String) throws -> String {
        let file = dir + "/demo.dprm"
        try """
        # %% [markdown]
        # # Demo <report>
        #
        # Some *emphasis*, `code` and a [link](https://example.com).
        #
        # - one
        # - two
        # %% setup
        let xs = [3, 1, 2]
        print("sorted:", sort(xs))
        if 1 < 2 { "<b>not bold</b>" } else { "" }
        # %% figure
        write_file("\(dir)/fig.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
        len(xs)
        # %% boom
        print("before")
        xs[10]
        # %% after
        print("never")
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func runReport(_ file: String, watch: [String]) throws -> NotebookReport {
        let interp = Stdlib.makeInterpreter(options: Interpreter.Options(output: { _ in }))
        let result: Result<NotebookReport, Error> = BigStack.run {
            Result { try NotebookReport.run(path: file, interpreter: interp, watch: watch) }
        }
        return try result.get()
    }

    func testHTMLReport() throws {
        let dir = try temporaryDirectory()
        let file = try makeNotebook(in: dir)
        let r = try runReport(file, watch: [dir])
        XCTAssertEqual(r.cells.map(\.status), [.ok, .ok, .ok, .failed, .notRun])
        XCTAssertEqual(r.cells[1].output, "sorted: [1, 2, 3]\n")
        XCTAssertEqual(r.cells[2].figures.map(\.path), ["\(dir)/fig.svg"])
        XCTAssertEqual(r.cells[2].value, "3")
        let html = r.html()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<h1>Demo &lt;report&gt;</h1>"), html)
        XCTAssertTrue(html.contains("<em>emphasis</em>") && html.contains("<code>code</code>"))
        XCTAssertTrue(html.contains("<a href=\"https://example.com\">link</a>"))
        XCTAssertTrue(html.contains("<ul><li>one</li><li>two</li></ul>"))
        // Source is escaped, output and value are shown.
        XCTAssertTrue(html.contains("if 1 &lt; 2 { &quot;&lt;b&gt;not bold&lt;/b&gt;&quot; }"), html)
        XCTAssertFalse(html.contains("<b>not bold</b>"))
        XCTAssertTrue(html.contains("<pre class=\"output\">sorted: [1, 2, 3]\n</pre>"))
        XCTAssertTrue(html.contains("<pre class=\"value\">&quot;&lt;b&gt;not bold&lt;/b&gt;&quot;</pre>"))
        XCTAssertTrue(html.contains("src=\"data:image/svg+xml;base64,"))
        // The error sits in the failing cell; the later cell is marked as not run.
        XCTAssertTrue(html.contains("<section class=\"cell code failed\" id=\"cell-4\">"))
        XCTAssertTrue(html.contains("<pre class=\"output\">before\n</pre>"))
        XCTAssertTrue(html.contains("demo.dprm:17:") && html.contains("error (cell 4):"), html)
        XCTAssertTrue(html.contains("Stopped at cell 4"))
        XCTAssertTrue(html.contains("<section class=\"cell code notrun\" id=\"cell-5\">"))
        XCTAssertFalse(html.contains("never\n</pre>"))
        XCTAssertFalse(html.contains("<script"), "self-contained and script-free")
    }

    func testPNGFiguresAreInlined() throws {
        let dir = try temporaryDirectory()
        let elsewhere = try temporaryDirectory() // not watched: found only through FigureLog
        let file = dir + "/p.dprm"
        try """
        # %% plot
        fake_plot("\(elsewhere)/curve.png")
        # %% no figure
        1
        """.write(toFile: file, atomically: true, encoding: .utf8)
        // A builtin that behaves like the plot builtins: writes the image, records it.
        let interp = Stdlib.makeInterpreter(options: Interpreter.Options(output: { _ in }))
        interp.register(BuiltinRegistry(module: "test", builtins: [
            Builtin("fake_plot", parameters: [.positional("path", "string", "the PNG written")], "Writes a 1x1 PNG.") { a in
                let path = try a.string(0, "path")
                try NotebookReportTests.png.write(to: URL(fileURLWithPath: path))
                FigureLog.record(path: path)
                return .nil
            },
        ]))
        let result: Result<NotebookReport, Error> = BigStack.run {
            Result { try NotebookReport.run(path: file, interpreter: interp, watch: [dir]) }
        }
        let r = try result.get()
        XCTAssertEqual(r.cells.map(\.status), [.ok, .ok])
        XCTAssertEqual(r.cells[0].figures.map(\.path), ["\(elsewhere)/curve.png"])
        XCTAssertEqual(r.cells[1].figures.count, 0)
        XCTAssertTrue(r.html().contains("src=\"data:image/png;base64,\(NotebookReportTests.png.base64EncodedString())\""))
    }

    func testMarkdownReport() throws {
        let dir = try temporaryDirectory()
        let file = try makeNotebook(in: dir)
        let md = try runReport(file, watch: [dir]).markdown(reportDirectory: dir)
        XCTAssertTrue(md.contains("# Demo <report>"))
        XCTAssertTrue(md.contains("**Cell 2: setup**"))
        XCTAssertTrue(md.contains("```dprm\nlet xs = [3, 1, 2]"))
        XCTAssertTrue(md.contains("```text\nsorted: [1, 2, 3]\n```"))
        XCTAssertTrue(md.contains("![\(dir)/fig.svg](fig.svg)"))
        XCTAssertTrue(md.contains("**Error:**"))
        XCTAssertTrue(md.contains("_(not run: an earlier cell failed)_"))
        XCTAssertTrue(md.contains("> Stopped at cell 4"))
        // A report in another folder links the figure with `..`, relative to the report.
        let below = dir + "/reports/md"
        XCTAssertTrue(try runReport(file, watch: [dir]).markdown(reportDirectory: below).contains("![\(dir)/fig.svg](../../fig.svg)"))
    }

    func testProvenanceInBothReports() throws {
        let dir = try temporaryDirectory()
        let file = try makeNotebook(in: dir)
        var r = try runReport(file, watch: [dir])
        r.version = "9.8.7"
        r.arguments = ["--out", "my dir", "--lr", "0.1"]
        let date = String(ISO8601DateFormatter().string(from: r.started).prefix(10))
        for (text, escape) in [(r.html(), Markdown.escape), (r.markdown(reportDirectory: dir), { $0 })] {
            XCTAssertTrue(text.contains("dprm 9.8.7"), text)
            XCTAssertTrue(text.contains(escape("arguments: --out 'my dir' --lr 0.1")), text)
            XCTAssertTrue(text.contains("run " + date), text)
        }
        r.arguments = []
        XCTAssertTrue(r.html().contains("no arguments"))
        // Long output lines wrap in the page instead of scrolling.
        XCTAssertTrue(r.html().contains("white-space: pre-wrap"))
    }

    func testSyntaxErrorInAnyCellStopsBeforeTheFirstRuns() throws {
        let dir = try temporaryDirectory()
        let file = dir + "/typo.dprm"
        try """
        # %% writes a file
        write_file("\(dir)/ran.txt", "yes")
        # %% fine
        let a = 1
        # %% typo
        let = 2
        # %% another
        fn (
        """.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try runReport(file, watch: [dir])) { error in
            let text = (error as? DprmError)?.render() ?? "\(error)"
            XCTAssertTrue(text.contains("typo.dprm:6:5: error (cell 3):"), text)
            XCTAssertTrue(text.contains("also: ") && text.contains("(cell 4)"), text)
            XCTAssertTrue(text.contains("no cell was run"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran.txt"), "cell 1 ran before the syntax check")
    }
}

final class MarkdownTests: XCTestCase {
    func testBlocks() {
        XCTAssertEqual(Markdown.toHTML("## Title ##"), "<h2>Title</h2>")
        XCTAssertEqual(Markdown.toHTML("a\nb\n\nc"), "<p>a\nb</p>\n<p>c</p>")
        XCTAssertEqual(Markdown.toHTML("1. x\n2. y"), "<ol><li>x</li><li>y</li></ol>")
        XCTAssertEqual(Markdown.toHTML("```python\nif a < b:\n```"), "<pre><code class=\"language-python\">if a &lt; b:</code></pre>")
        XCTAssertEqual(Markdown.toHTML("> quoted"), "<blockquote>\n<p>quoted</p>\n</blockquote>")
        XCTAssertEqual(Markdown.toHTML("---"), "<hr>")
        XCTAssertEqual(Markdown.toHTML("text\n\n    let x = 1\n\n    x < 2\nafter"), "<p>text</p>\n<pre><code>let x = 1\n\nx &lt; 2</code></pre>\n<p>after</p>")
        XCTAssertEqual(Markdown.toHTML("- a\n- b\n\n```\ncode\n```"), "<ul><li>a</li><li>b</li></ul>\n<pre><code>code</code></pre>")
    }

    func testInline() {
        XCTAssertEqual(Markdown.inline("**bold** and _it_ and snake_case_name"), "<strong>bold</strong> and <em>it</em> and snake_case_name")
        XCTAssertEqual(Markdown.inline("`a*b*c` <x>"), "<code>a*b*c</code> &lt;x&gt;")
        XCTAssertEqual(Markdown.inline("![plot](w.png)"), "<img src=\"w.png\" alt=\"plot\">")
        XCTAssertEqual(Markdown.inline("[bad](javascript:alert(1))"), "<a href=\"#\">bad</a>)")
        XCTAssertEqual(Markdown.inline("2 * 3 * 4"), "2 * 3 * 4")
    }
}
