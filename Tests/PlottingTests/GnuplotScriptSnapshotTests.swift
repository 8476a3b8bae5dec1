import Foundation
import XCTest
@testable import Plotting

/// The generated gnuplot text, compared exactly with the committed files in `Snapshots/`.
/// After a deliberate change, regenerate with `DPRM_UPDATE_SNAPSHOTS=1 swift test --filter
/// GnuplotScriptSnapshotTests`, read the diff, and commit it.
final class GnuplotScriptSnapshotTests: XCTestCase {
    /// Name, figure, terminal and output of every snapshot.
    static func cases() throws -> [(String, Figure, Terminal, String?)] {
        var lines = Figure(title: "loss of \"run_1\" \\ #3 @home $x", xLabel: "step", yLabel: "loss (log)")
        try lines.plot([0, 1, 2, 3], [1, 0.5, 0.25, 0.125], label: "lower_loss")
        try lines.plot([0, 2], [0.9, 0.3], label: "meta loss", kind: .linespoints,
                       style: Style(color: Color("#123456"), lineWidth: 2, pointType: 5, pointSize: 1.5, dash: .dashdot))
        try lines.plot([1, 2, 3], [0.7, .nan, 0.2], label: nil, style: Style(dash: .dotted))
        lines.yScale = .log10
        lines.xRange = AxisRange(min: 0, max: nil)
        lines.yRange = AxisRange(min: 0.1, max: 1.5)
        lines.legend = Legend(position: .bottomLeft)
        lines.grid = true
        lines.size = FigureSize(width: 800, height: 500)

        var mixed = Figure(title: "weights\nat the end")
        try mixed.hist([0.1, 0.4, 0.45, 0.9, 1.0, 1.2], bins: 3, label: "all")
        try mixed.scatter([0.2, 0.8], [1, 2], label: "picked")
        mixed.legend = .hidden
        mixed.addRaw("set xtics 0.25")
        mixed.addRaw("set arrow from 0.5,0 to 0.5,2 nohead")

        let schedules = try MethodPlots.learningRates(steps: [0, 1, 2, 3], lower: [0, 5e-5, 2.5e-5, 0],
                                                      meta: [5e-3, 5e-3, 2.5e-3, 2.5e-3])
        let bestOfN = try MethodPlots.bestOfN(
            ns: [1, 2, 4, 8],
            curves: [NamedValues("mean", [0.5, 0.56, 0.6, 0.63]), NamedValues("min", [0.5, 0.55, 0.57, 0.58])],
            baselines: [NamedValues("first", [0.5]), NamedValues("oracle", [0.5, 0.7, 0.8, 0.88])])
        let trajectories = try MethodPlots.weightTrajectories(
            steps: [0, 10, 20], weights: [[1, 1, 1, 1], [1.2, 0.8, 1.1, 0.5], [1.5, 0.6, 1.3, 0.1]],
            domains: ["geo", "chart", "geo", "chart"], sample: 3, seed: 7)
        return [
            ("lines_log_pngcairo", lines, .pngcairo, "out/lines.png"),
            ("hist_scatter_raw_svg", mixed, .svg, "/tmp/weights \"final\".svg"),
            ("subplots_schedules_pdf", schedules, .pdfcairo, "lr.pdf"),
            ("best_of_n_dumb", bestOfN, .dumb(width: 100, height: 30), nil),
            ("trajectories_png", trajectories, .png, "traj.png"),
        ]
    }

    func testScriptsMatchSnapshots() throws {
        let update = ProcessInfo.processInfo.environment["DPRM_UPDATE_SNAPSHOTS"] == "1"
        for (name, figure, terminal, output) in try Self.cases() {
            let script = try figure.gnuplotScript(terminal: terminal, output: output)
            let file = Support.snapshots.appendingPathComponent(name + ".gp")
            if update {
                try script.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
                XCTFail("missing snapshot \(file.path); run with DPRM_UPDATE_SNAPSHOTS=1 to create it")
                continue
            }
            XCTAssertEqual(script, expected, "\(name): generated script differs from \(file.path)")
        }
    }

    /// Every snapshot figure is accepted by the real gnuplot (same figure, scratch output).
    func testSnapshotScriptsRunCleanly() throws {
        let gnuplot = try Support.gnuplot()
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let available = try gnuplot.terminals()
        for (name, figure, terminal, output) in try Self.cases() where available.contains(terminal.name) {
            let target = output == nil ? nil : directory + "/" + name
            let result = try gnuplot.run(try figure.gnuplotScript(terminal: terminal, output: target))
            XCTAssertEqual(result.warnings, [], name)
            if let target = target {
                let size = (try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
                XCTAssertGreaterThan(size, 500, name)
            } else {
                XCTAssertTrue(result.stdout.contains("best-of-N accuracy"), result.stdout)
            }
        }
    }

    func testQuoting() {
        XCTAssertEqual(GnuplotScript.quote("a_b"), "\"a_b\"")
        XCTAssertEqual(GnuplotScript.quote("say \"hi\""), "\"say \\\"hi\\\"\"")
        XCTAssertEqual(GnuplotScript.quote("C:\\dir"), "\"C:\\\\dir\"")
        XCTAssertEqual(GnuplotScript.quote("two\nlines\u{7}"), "\"two\\nlines \"")
    }

    func testNothingToPlotIsAnError() throws {
        XCTAssertThrowsError(try Figure(title: "empty").gnuplotScript(terminal: .svg, output: "x.svg")) { error in
            XCTAssertTrue("\(error)".contains("nothing to plot"), "\(error)")
        }
        var drawsItself = Figure()
        drawsItself.addRaw("plot sin(x)")
        let script = try drawsItself.gnuplotScript(terminal: .svg, output: "x.svg")
        XCTAssertTrue(script.hasSuffix("set key top right\nplot sin(x)\nunset output\n"), script)
    }

    func testEveryScriptEndsWithUnsetOutput() throws {
        for (_, figure, terminal, output) in try Self.cases() {
            XCTAssertTrue(try figure.gnuplotScript(terminal: terminal, output: output).hasSuffix("unset output\n"))
        }
    }
}
