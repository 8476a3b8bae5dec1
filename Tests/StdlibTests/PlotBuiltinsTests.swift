import XCTest
import Foundation
import Lang
@testable import Stdlib

/// A host object shaped like a 1-d tensor: numbers through `tolist()`.
private final class FakeVector: NativeObject {
    let xs: [Double]
    init(_ xs: [Double]) { self.xs = xs }
    var typeName: String { "tensor" }
    func member(_ name: String) throws -> Value? {
        guard name == "tolist" else { return nil }
        return .function(Function(name: "tolist") { [xs] _ in .list(xs.map { .number($0) }) })
    }
}

/// A host object shaped like a run: `history` and `snapshots` members.
private final class FakeRun: NativeObject {
    let history: Value, snapshots: Value, typeName: String
    init(history: Value, snapshots: Value, typeName: String = "run") {
        self.history = history; self.snapshots = snapshots; self.typeName = typeName
    }
    func member(_ name: String) throws -> Value? {
        switch name {
        case "history": return history
        case "snapshots": return snapshots
        default: return nil
        }
    }
}

final class PlotBuiltinsTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    var directory: URL!
    var output = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dprm-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        output = ""
        _ = FigureLog.drain()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// An interpreter with every Stdlib registry and the embedded standard library, printing into `output`.
    func makeInterpreter() -> Interpreter {
        Stdlib.makeInterpreter(options: Interpreter.Options(searchPaths: [], output: { [unowned self] in self.output += $0 }))
    }

    @discardableResult
    func run(_ source: String, _ interpreter: Interpreter? = nil) throws -> Value {
        try (interpreter ?? makeInterpreter()).evaluate(source, name: "test.dprm")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func requireGnuplot() throws {
        let env = ProcessInfo.processInfo.environment
        if let configured = env["DPRM_GNUPLOT"] {
            if FileManager.default.isExecutableFile(atPath: configured) { return }
        } else {
            for dir in (env["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/gnuplot") { return }
        }
        throw XCTSkip("gnuplot is not installed (sudo apt-get install gnuplot-nox); this test needs it")
    }

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    func pngSize(_ file: String) throws -> (Int, Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        XCTAssertGreaterThan(data.count, 100, file)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature of \(file)")
        func be32(_ at: Int) -> Int { data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    func error(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> DprmError? {
        do { try run(source) } catch let e as DprmError { return e } catch {
            XCTFail("not a DprmError: \(error)", file: file, line: line); return nil
        }
        XCTFail("no error from: \(source)", file: file, line: line)
        return nil
    }

    // MARK: files

    func testLinePlotSavedAsPNGIsRecorded() throws {
        let file = path("line.png")
        let result = try run("plot([0, 1, 2, 3], [3, 1, 2, 0.5], title: \"loss\", label: \"a\", out: \"\(file)\")")
        XCTAssertEqual(result.asString, file)
        let (w, h) = try pngSize(file)
        XCTAssertEqual(w, 640); XCTAssertEqual(h, 480)
        XCTAssertEqual(FigureLog.drain(), [file])
        XCTAssertEqual(FigureLog.drain(), [])
    }

    func testSavefigFormatsAndFigureLogOrder() throws {
        try requireGnuplot()
        let interpreter = makeInterpreter()
        try run("let f = plot([1, 2, 3], title: \"formats\", size: [320, 240])", interpreter)
        for ext in ["svg", "pdf", "txt", "png"] {
            XCTAssertEqual(try run("savefig(f, \"\(path("f." + ext))\")", interpreter).asString, path("f." + ext))
        }
        try run("f.savefig(\"\(path("f.svg"))\")", interpreter)
        // A file written twice is listed once, at its latest position.
        XCTAssertEqual(FigureLog.drain(), ["f.pdf", "f.txt", "f.png", "f.svg"].map(path))
        XCTAssertEqual(try pngSize(path("f.png")).0, 320)
        XCTAssertTrue(try String(contentsOfFile: path("f.svg"), encoding: .utf8).contains("<svg"))
        XCTAssertTrue(try String(contentsOfFile: path("f.txt"), encoding: .utf8).contains("formats"))
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: path("f.pdf"))).starts(with: Array("%PDF".utf8)))
    }

    // MARK: errors

    func testHistoryColumnTypoSuggestsTheColumn() throws {
        let e = try XCTUnwrap(error("plot({step: [0, 1, 2], loss: [3, 2, 1]}, x: \"step\", y: \"los\")"))
        XCTAssertTrue(e.message.contains("no column 'los'"), e.message)
        XCTAssertTrue(e.message.contains("columns: step, loss"), e.message)
        XCTAssertEqual(e.notes, ["did you mean `loss`?"])
        XCTAssertEqual(e.location?.line, 1)
    }

    func testUnknownOptionSuggestsTheOption() throws {
        let e = try XCTUnwrap(error("plot([1, 2, 3], titel: \"x\")"))
        XCTAssertEqual(e.message, "plot() got an unexpected keyword argument 'titel'", "the one message for an unknown keyword")
        XCTAssertEqual(e.notes, ["did you mean `title`?"])
        // A figure method gives the same message.
        let method = try XCTUnwrap(error("let f = figure()\nf.plot([1, 2], colr: \"red\")"))
        XCTAssertEqual(method.message, "figure.plot() got an unexpected keyword argument 'colr'")
        XCTAssertEqual(method.notes, ["did you mean `color`?"])
        let bad = try XCTUnwrap(error("plot([1, 2, 3], legend: \"middle\")"))
        XCTAssertTrue(bad.message.contains("unknown position 'middle'"), bad.message)
        // The data may be passed by name too.
        XCTAssertNoThrow(try run("let f = plot(data: [0, 1], ys: [3, 4], title: \"t\")\nassert(len(f.series) == 1)"))
        let figureTypo = try XCTUnwrap(error("figure(xlable: \"x\")"))
        XCTAssertEqual(figureTypo.notes, ["did you mean `xlabel`?"])
    }

    func testGnuplotErrorBecomesDprmError() throws {
        try requireGnuplot()
        let e = try XCTUnwrap(error("let f = plot([1, 2, 3])\nf.raw(\"set frobnicate 3\")\nsavefig(f, \"\(path("bad.png"))\")"))
        XCTAssertEqual(e.kind, .runtime)
        XCTAssertTrue(e.message.contains("gnuplot error"), e.message)
        XCTAssertTrue(e.message.contains("set frobnicate 3"), e.message)
        XCTAssertEqual(e.location?.line, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.png")))
        XCTAssertEqual(FigureLog.drain(), [])
    }

    func testDataErrorsNameTheArgument() throws {
        XCTAssertTrue(try XCTUnwrap(error("plot([1, 2], [1, 2, 3])")).message.contains("2 x values but 3 y values"))
        XCTAssertTrue(try XCTUnwrap(error("plot([1, \"a\"])")).message.contains("argument 'y' must hold numbers; item 1 is string"))
        XCTAssertTrue(try XCTUnwrap(error("savefig(3, \"x.png\")")).message.contains("must be a figure"))
        XCTAssertTrue(try XCTUnwrap(error("plot([1, 2], out: \"/nonexistent-dir/x.png\")")).message.contains("does not exist"))
    }

    // MARK: text plots and figures

    func testShowPrintsTextPlotWithTitle() throws {
        try requireGnuplot()
        try run("show(plot([0, 1, 4, 9, 16], title: \"squares of n\"), width: 60, height: 15)")
        XCTAssertTrue(output.contains("squares of n"), output)
        XCTAssertGreaterThanOrEqual(output.split(separator: "\n").count, 10)
        output = ""
        try run("plot([1, 2, 3], title: \"shown too\", show: true)")
        XCTAssertTrue(output.contains("shown too"), output)
        // Printing a figure shows the text plot.
        output = ""
        try run("print(hist([1, 2, 2, 3], bins: 3, title: \"printed\"))")
        XCTAssertTrue(output.contains("printed"), output)
    }

    func testFigureMethodsAndFields() throws {
        let interpreter = makeInterpreter()
        try run("""
            let fig = figure(title: "t", xlabel: "step")
            fig.plot([1, 2, 3], label: "a").plot([1, 2, 3], [3, 2, 1], label: "b", dash: "dashed")
            fig.scatter([1, 2], [2, 1]).hist([1, 2, 2, 3], bins: 3).hline(2, label: "target")
            fig.logy = true
            fig.ylabel = "loss"
            fig.xrange = [0, 4]
            fig.legend = "top left"
            fig.raw("set arrow from 1,1 to 2,2")
            """, interpreter)
        XCTAssertEqual(try run("fig.title", interpreter).asString, "t")
        XCTAssertEqual(try run("fig.ylabel", interpreter).asString, "loss")
        XCTAssertEqual(try run("fig.logy", interpreter).isTruthy, true)
        XCTAssertEqual(try run("fig.xrange", interpreter).repr, "[0, 4]")
        XCTAssertEqual(try run("fig.legend", interpreter).asString, "top left")
        XCTAssertEqual(try run("map(fig.series, |s| s.kind)", interpreter).repr, "[\"line\", \"line\", \"scatter\", \"bars\", \"line\"]")
        XCTAssertEqual(try run("map(fig.series, |s| s.label)", interpreter).repr, "[\"a\", \"b\", nil, nil, \"target\"]")
        XCTAssertEqual(try run("type(fig)", interpreter).asString, "figure")
        let copy = try run("let c = fig.copy(); c.title = \"other\"; fig.title", interpreter)
        XCTAssertEqual(copy.asString, "t")
        let e = try XCTUnwrap({ () -> DprmError? in
            do { try run("fig.titel = 3", interpreter); return nil } catch let e as DprmError { return e } catch { return nil }
        }())
        XCTAssertTrue(e.message.contains("cannot set field 'titel'"), e.message)
        try requireGnuplot()
        let script = try run("gnuplot_script(fig, \"x.png\")", interpreter).asString ?? ""
        XCTAssertTrue(script.contains("set logscale y"), script)
        XCTAssertTrue(script.contains("set arrow from 1,1 to 2,2"), script)
    }

    func testHistoryColumnsSeveralSeriesAndNilGaps() throws {
        let interpreter = makeInterpreter()
        try run("""
            let h = {iteration: [0, 1, 2, 3], lower_loss: [2, 1.5, 1.2, 1], meta_loss: [1.8, nil, 1.3, nil]}
            let f = plot(h, y: ["lower_loss", "meta_loss"])
            """, interpreter)
        XCTAssertEqual(try run("map(f.series, |s| [s.label, s.points])", interpreter).repr, "[[\"lower_loss\", 4], [\"meta_loss\", 2]]")
        XCTAssertEqual(try run("f.xlabel", interpreter).asString, "iteration")
        // y as a list of lists: one series each, labels from a list.
        XCTAssertEqual(try run("map(plot([0, 1], [[1, 2], [3, 4]], label: [\"u\", \"v\"]).series, |s| s.label)", interpreter).repr, "[\"u\", \"v\"]")
        // A run object's history works like the dict.
        let run = FakeRun(history: try run("h", interpreter), snapshots: .nil)
        interpreter.setGlobal("r", .native(run))
        XCTAssertEqual(try self.run("len(plot(r, y: \"meta_loss\").series)", interpreter).asNumber, 1)
    }

    func testTensorLikeObjectsAreData() throws {
        let interpreter = makeInterpreter()
        interpreter.setGlobal("t", .native(FakeVector([3, 1, 2])))
        XCTAssertEqual(try run("plot(t).series[0].points", interpreter).asNumber, 3)
        XCTAssertEqual(try run("plot(t, t).series[0].points", interpreter).asNumber, 3)
        XCTAssertEqual(try run("hist(t, bins: 2).series[0].points", interpreter).asNumber, 2)
    }

    // MARK: standard plots

    /// A synthetic reweighting run: history with meta_loss / meta_lr every other step, snapshots.
    let syntheticRun = """
        let h = {iteration: [], lower_loss: [], weighted_loss: [], meta_loss: [], lr: [], meta_lr: []}
        for i in 0..40 {
          h.iteration.push(i)
          h.lower_loss.push(2 * exp(-i / 10) + 0.3)
          h.weighted_loss.push(1.8 * exp(-i / 10) + 0.3)
          h.meta_loss.push(if i % 2 == 0 { 1.5 * exp(-i / 12) + 0.4 } else { nil })
          h.lr.push(0.001 * min(1, (i + 1) / 5))
          h.meta_lr.push(if i % 2 == 0 { 0.01 } else { nil })
        }
        let doms = map(range(12), |k| ["math", "code", "science"][k % 3])
        let rows = map(range(5), |t| map(range(12), |k| 1 + t * (if k % 4 == 1 { -0.15 } else { 0.05 })))
        let snaps = {iterations: [0, 10, 20, 30, 40], ids: map(range(12), |k| "q{k}"), domains: doms, weights: rows}
        let run = {history: h, snapshots: snaps}
        let bon = {"1": {min: 0.4, prod: 0.4}, "4": {min: 0.5, prod: 0.47}, "16": {min: 0.58, prod: 0.5}}
        """

    func testEveryStandardPlotRunsOnSyntheticData() throws {
        let interpreter = makeInterpreter()
        try run(syntheticRun, interpreter)
        // Figures in memory, from dicts, a run object, and plain lists.
        XCTAssertEqual(try run("map(plot_losses(run).series, |s| s.label)", interpreter).repr,
                       "[\"lower loss\", \"meta loss\", \"weighted loss\"]")
        XCTAssertEqual(try run("map(plot_losses(h, logy: true).series, |s| s.points)", interpreter).repr, "[40, 20, 40]")
        interpreter.setGlobal("obj", .native(FakeRun(history: try run("h", interpreter), snapshots: try run("snaps", interpreter))))
        XCTAssertEqual(try run("len(plot_weights(obj, sample: 5).series)", interpreter).asNumber, 5)
        XCTAssertEqual(try run("map(plot_weights(snaps).series, |s| s.label)", interpreter).repr,
                       "[\"math\", \"code\", \"science\", nil, nil, nil, nil, nil, nil, nil, nil, nil]")
        XCTAssertEqual(try run("len(plot_weights(rows).series)", interpreter).asNumber, 12)
        XCTAssertEqual(try run("map(plot_weight_hist(obj, bins: 4).series, |s| s.label)", interpreter).repr, "[\"code\", \"math\", \"science\"]")
        XCTAssertEqual(try run("len(plot_weight_hist(rows[-1]).series)", interpreter).asNumber, 1)
        XCTAssertEqual(try run("map(plot_best_of_n(bon, baselines: {first: 0.4}).series, |s| s.label)", interpreter).repr,
                       "[\"min\", \"prod\", \"first\"]")
        XCTAssertEqual(try run("plot_lr(run).panels[1].series[0].points", interpreter).asNumber, 20)
        XCTAssertEqual(try run("len(plot_lr({step: [0, 1], lr: [1, 2]}).series)", interpreter).asNumber, 1)

        // Files, through out:, recorded for the notebook.
        try requireGnuplot()
        let names = ["losses.png", "weights.svg", "hist.png", "bon.png", "lr.pdf"]
        try run("""
            plot_losses(run, out: "\(path(names[0]))")
            plot_weights(run, sample: 6, out: "\(path(names[1]))")
            plot_weight_hist(run, out: "\(path(names[2]))")
            plot_best_of_n(bon, out: "\(path(names[3]))")
            plot_lr(run, out: "\(path(names[4]))")
            """, interpreter)
        XCTAssertEqual(FigureLog.drain(), names.map(path))
        XCTAssertEqual(try pngSize(path("losses.png")).0, 640)
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: path("lr.pdf"))).starts(with: Array("%PDF".utf8)))
    }

    func testBestOfNShapesAgree() throws {
        let interpreter = makeInterpreter()
        let shapes = [
            "{\"1\": {min: 0.4, prod: 0.4}, \"4\": {min: 0.5, prod: 0.45}}",
            "[{n: 4, min: 0.5, prod: 0.45}, {n: 1, min: 0.4, prod: 0.4}]",
            "{n: [1, 4], min: [0.4, 0.5], prod: [0.4, 0.45]}",
            "{\"1\": [{aggregation: \"min\", accuracy: 0.4}, {aggregation: \"prod\", accuracy: 0.4}], \"4\": {a: {aggregation: \"min\", accuracy: 0.5}, b: {aggregation: \"prod\", accuracy: 0.45}}}",
        ]
        for shape in shapes {
            let v = try run("let f = plot_best_of_n(\(shape)); map(f.series, |s| [s.label, s.points])", interpreter)
            XCTAssertEqual(v.repr, "[[\"min\", 2], [\"prod\", 2]]", shape)
        }
        // Baselines inside results: constant ones become one horizontal line.
        let v = try run("""
            let r = {"1": {aggregation: "min", accuracy: 0.4, baselines: {first: 0.4, oracle: 0.4}},
                     "4": {aggregation: "min", accuracy: 0.5, baselines: {first: 0.4, oracle: 0.7}}}
            map(plot_best_of_n(r).series, |s| [s.label, s.points])
            """, interpreter)
        XCTAssertEqual(v.repr, "[[\"min\", 2], [\"first\", 2], [\"oracle\", 2]]")
        XCTAssertTrue(try XCTUnwrap(error("plot_best_of_n({abc: 1})")).message.contains("key 'abc' is not a number N"))
    }

    // MARK: helpers, example, documentation

    func testStdlibPlotRunWritesEveryPlot() throws {
        try requireGnuplot()
        let interpreter = makeInterpreter()
        try run(syntheticRun, interpreter)
        let files = try run("import \"plots\"\nplot_run(run, \"\(path("figs"))\")", interpreter)
        XCTAssertEqual(files.repr, "[" + ["losses", "lr", "weights", "weight_hist"].map { "\"\(path("figs/\($0).png"))\"" }.joined(separator: ", ") + "]")
        for name in ["losses", "lr", "weights", "weight_hist"] { _ = try pngSize(path("figs/\(name).png")) }
        // A run object (members history and snapshots, like the reweighting run).
        interpreter.setGlobal("obj", .native(FakeRun(history: try run("h", interpreter), snapshots: try run("snaps", interpreter),
                                                     typeName: "reweight_run")))
        XCTAssertEqual(try run("len(plot_run(obj, \"\(path("obj"))\", ext: \"svg\"))", interpreter).asNumber, 4)
        // A bare history: no weight plots.
        XCTAssertEqual(try run("len(plot_run(h, \"\(path("h"))\", ext: \"txt\"))", interpreter).asNumber, 2)
        XCTAssertTrue(try String(contentsOfFile: path("h/losses.txt"), encoding: .utf8).contains("meta loss"))
        output = ""
        try run("compare_aggregations({min: {\"1\": 0.4, \"4\": 0.55}, prod: {\"1\": 0.4, \"4\": 0.5}}, \"\(path("agg.png"))\")", interpreter)
        XCTAssertTrue(output.contains("N=4"), output)
        XCTAssertTrue(output.contains("best: min"), output)
        _ = try pngSize(path("agg.png"))
    }

    func testExampleScriptWritesResults() throws {
        try requireGnuplot()
        let interpreter = makeInterpreter()
        interpreter.setGlobal("args", .dict(DictRef([("out", .string(path("example")))])))
        let script = Self.repo.appendingPathComponent("examples/plots.dprm").path
        try interpreter.run(file: script)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("example/results.json")))) as? [String: Any]
        let files = try XCTUnwrap(results?["files"] as? [String])
        XCTAssertEqual(files.count, 6)
        for file in files { XCTAssertTrue(FileManager.default.fileExists(atPath: file), file) }
        XCTAssertEqual(Set(FigureLog.drain()), Set(files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }))
    }

    func testEveryBuiltinIsDocumentedAndItsExampleRuns() throws {
        try requireGnuplot()
        let registry = PlotBuiltins.registry
        XCTAssertEqual(registry.module, "plot")
        for builtin in registry.builtins {
            XCTAssertFalse(builtin.signature.isEmpty, builtin.name)
            XCTAssertFalse(builtin.summary.isEmpty, builtin.name)
            XCTAssertFalse(builtin.summary.contains("\n"), builtin.name)
            XCTAssertFalse(builtin.help.isEmpty, "\(builtin.name) has no help")
            XCTAssertFalse(builtin.example.isEmpty, "\(builtin.name) has no example")
            XCTAssertNoThrow(try run(builtin.example), "example of \(builtin.name)")
        }
        // (Figure members are checked with every native type's in BuiltinDocTests.)
    }
}
