import XCTest
@testable import Plotting

/// The figure model, the keyword options the language passes, and the standard plots, all
/// inspected without gnuplot.
final class FigureModelTests: XCTestCase {
    func testPlotBuildersCheckLengths() throws {
        var figure = Figure()
        try figure.plot([1, 2, 3], label: "y only")
        XCTAssertEqual(figure.series[0].x, [0, 1, 2])
        XCTAssertThrowsError(try figure.plot([1, 2], [1, 2, 3], label: "bad")) { error in
            XCTAssertEqual("\(error)", "series 'bad' has 2 x values but 3 y values")
        }
        try figure.scatter([1], [2])
        XCTAssertEqual(figure.series.map(\.kind), [.line, .scatter])
        XCTAssertEqual(figure.series[1].style.pointSize, 0.6)
    }

    func testPlotNamedColumns() throws {
        let history: [String: [Double]] = ["step": [0, 1, 2], "loss": [3, 2, 1], "meta_loss": [1, 0.5, 0.4]]
        var figure = Figure()
        try figure.plot(columns: history, x: "step", y: ["loss", "meta_loss"])
        XCTAssertEqual(figure.series.map(\.label), ["loss", "meta_loss"])
        XCTAssertEqual(figure.series[1].y, [1, 0.5, 0.4])
        XCTAssertEqual(figure.xLabel, "step")
        XCTAssertNil(figure.yLabel)
        XCTAssertThrowsError(try figure.plot(columns: history, x: "step", y: ["los"])) { error in
            XCTAssertEqual("\(error)", "no column 'los' (did you mean 'loss'?); columns: loss, meta_loss, step")
        }
    }

    func testFigureOptions() throws {
        var figure = try plot([1, 2], [3, 4])
        try figure.apply(options: [
            "title": .string("t"), "xlabel": .string("x"), "ylabel": .string("y"),
            "xlog": .number(2), "ylog": .bool(true), "xrange": .numbers([1, 10]), "yrange": .numbers([0.1, 5]),
            "legend": .string("outside"), "grid": .bool(true), "size": .numbers([800, 600]),
        ])
        XCTAssertEqual(figure.title, "t")
        XCTAssertEqual(figure.xLabel, "x")
        XCTAssertEqual(figure.yLabel, "y")
        XCTAssertEqual(figure.xScale, .log(base: 2))
        XCTAssertEqual(figure.yScale, .log10)
        XCTAssertEqual(figure.xRange, AxisRange(min: 1, max: 10))
        XCTAssertEqual(figure.yRange, AxisRange(min: 0.1, max: 5))
        XCTAssertEqual(figure.legend, Legend(visible: true, position: .outside))
        XCTAssertTrue(figure.grid)
        XCTAssertEqual(figure.size, FigureSize(width: 800, height: 600))
        try figure.apply(options: ["legend": .bool(false)])
        XCTAssertFalse(figure.legend.visible)
    }

    func testOptionErrorsNameTheOption() throws {
        var figure = Figure()
        XCTAssertThrowsError(try figure.apply(options: ["titel": .string("x")])) { error in
            XCTAssertTrue("\(error)".hasPrefix("unknown plot option 'titel' (did you mean 'title'?)"), "\(error)")
        }
        XCTAssertThrowsError(try figure.apply(options: ["title": .number(3)])) { error in
            XCTAssertEqual("\(error)", "plot option 'title' expects a string, got a number")
        }
        XCTAssertThrowsError(try figure.apply(options: ["ylog": .bool(true), "yrange": .numbers([-1, 1])])) { error in
            XCTAssertTrue("\(error)".contains("not allowed on a log scale"), "\(error)")
        }
        XCTAssertThrowsError(try figure.apply(options: ["legend": .string("middle")])) { error in
            XCTAssertTrue("\(error)".contains("unknown position 'middle'"), "\(error)")
        }
        XCTAssertThrowsError(try PlotOptions.split(["colour": .string("red")])) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'color'?"), "\(error)")
        }
    }

    func testSeriesOptions() throws {
        let (figureOptions, seriesOptions) = try PlotOptions.split([
            "title": .string("t"), "label": .string("loss"), "color": .string("red"), "lw": .number(3),
            "dash": .string("dashed"), "with": .string("linespoints"), "pt": .number(5), "ps": .number(2),
        ])
        XCTAssertEqual(Array(figureOptions.keys), ["title"])
        let series = try Series(x: [1, 2], y: [3, 4], options: seriesOptions)
        XCTAssertEqual(series.kind, .linespoints)
        XCTAssertEqual(series.label, "loss")
        XCTAssertEqual(series.style, Style(color: Color.named["red"], lineWidth: 3, pointType: 5, pointSize: 2, dash: .dashed))
        XCTAssertThrowsError(try Series(x: [1], y: [1], options: ["color": .string("#12345")])) { error in
            XCTAssertTrue("\(error)".contains("'#12345' is not #rrggbb"), "\(error)")
        }
        XCTAssertThrowsError(try Series(x: [1], y: [1], options: ["with": .string("bars3d")]))
    }

    func testColors() {
        XCTAssertEqual(Color("#1F77B4"), Color(red: 0x1f, green: 0x77, blue: 0xb4))
        XCTAssertEqual(Color("ff0000")?.hex, "#ff0000")
        XCTAssertEqual(Color("Blue"), Color.palette[0])
        XCTAssertNil(Color("#ggg000"))
        XCTAssertEqual(Set(Color.palette).count, 10)
        XCTAssertEqual(Color.cycle(12), Color.palette[2])
    }

    func testSubplotsValidate() throws {
        let panel = try plot([1, 2], [1, 2])
        let figure = try Figure.subplots(rows: 2, columns: 2, [panel, panel, panel])
        XCTAssertEqual(figure.layout, Layout(rows: 2, columns: 2))
        XCTAssertEqual(figure.panels.count, 3)
        XCTAssertEqual(figure.size, FigureSize(width: 960, height: 720))
        XCTAssertThrowsError(try Figure.subplots(rows: 1, columns: 1, [panel, panel]))
        XCTAssertThrowsError(try Figure.subplots(rows: 1, columns: 2, [figure]))  // nested
        var mixed = figure
        try mixed.plot([1], [1])
        XCTAssertThrowsError(try mixed.validate())
        var raw = panel
        raw.addRaw("set xtics 1\nset ytics 1")
        XCTAssertThrowsError(try raw.validate())
    }

    func testFormatFromExtension() throws {
        XCTAssertEqual(try OutputFormat(path: "a/b.PNG"), .png)
        XCTAssertEqual(try OutputFormat(path: "b.svg"), .svg)
        XCTAssertEqual(try OutputFormat(path: "b.pdf"), .pdf)
        XCTAssertEqual(try OutputFormat(path: "b.txt"), .dumb(width: 80, height: 25))
        XCTAssertThrowsError(try OutputFormat(path: "noext"))
        XCTAssertEqual(Terminal(format: .png, available: ["png", "dumb"]), .png)
        XCTAssertEqual(Terminal(format: .png, available: ["png", "pngcairo"]), .pngcairo)
        XCTAssertNil(Terminal(format: .pdf, available: ["png"]))
    }

    func testErrorParsingFromStderr() {
        let lines = ["set terminal dumb", "set foo", "plot x"]
        let stderr = """
        @@dprm-line 1

        gnuplot> set foo
                     ^
                 line 0: unrecognized option - see 'help set'.

        @@dprm-line 2
                 line 0: warning: something mild
        @@dprm-line 3
        """
        let (error, warnings) = Gnuplot.parseDiagnostics(stderr, lines: lines)
        XCTAssertEqual(error, .gnuplot(message: "unrecognized option - see 'help set'.", command: "set foo", line: 2))
        XCTAssertEqual(warnings, ["something mild"])
        // Markers go after commands only: not inside datablocks, not after continued lines.
        let instrumented = Gnuplot.instrument(["$d << EOD", "1 2", "EOD", "plot $d \\", "  with lines", ""])
        XCTAssertEqual(instrumented, "$d << EOD\n1 2\nEOD\nplot $d \\\n  with lines\nprint \"@@dprm-line 5\"\n\n")
    }
}

final class MethodPlotsTests: XCTestCase {
    func testLossCurves() throws {
        let figure = try MethodPlots.lossCurves(steps: [0, 1, 2, 3], lower: [2, 1.5, 1.2, 1], meta: [0.3, 0.2],
                                                metaSteps: [1, 3])
        XCTAssertEqual(figure.series.map(\.label), ["lower loss", "meta loss"])
        XCTAssertEqual(figure.series[1].x, [1, 3])
        XCTAssertEqual(figure.xLabel, "step")
        XCTAssertThrowsError(try MethodPlots.lossCurves(steps: [0, 1], lower: [1])) { error in
            XCTAssertEqual("\(error)", "lower loss: 1 values but 2 steps")
        }
    }

    func testWeightTrajectoriesSampleAndColourByDomain() throws {
        let steps = [0.0, 1, 2]
        let weights = (0..<3).map { t in (0..<100).map { Double($0) + Double(t) } }
        let domains = (0..<100).map { $0 < 50 ? "geometry" : "charts" }
        let figure = try MethodPlots.weightTrajectories(steps: steps, weights: weights, domains: domains, sample: 10, seed: 3)
        XCTAssertEqual(figure.series.count, 10)
        // Same seed, same instances; another seed, (almost surely) others.
        let again = try MethodPlots.weightTrajectories(steps: steps, weights: weights, domains: domains, sample: 10, seed: 3)
        XCTAssertEqual(again, figure)
        let other = try MethodPlots.weightTrajectories(steps: steps, weights: weights, domains: domains, sample: 10, seed: 4)
        XCTAssertNotEqual(other.series.map(\.y), figure.series.map(\.y))
        let chosen = figure.series.map { Int($0.y[0]) }
        XCTAssertEqual(chosen, chosen.sorted())
        XCTAssertEqual(Set(chosen).count, 10)
        // Colour follows the domain; each domain is labelled once.
        for (series, instance) in zip(figure.series, chosen) {
            XCTAssertEqual(series.style.color, instance < 50 ? Color.cycle(1) : Color.cycle(0))
            XCTAssertEqual(series.y, [Double(instance), Double(instance) + 1, Double(instance) + 2])
        }
        XCTAssertEqual(figure.series.compactMap(\.label).sorted(), Set(chosen.map { domains[$0] }).sorted())
        // Without domains: all instances when they are few, no legend.
        let plain = try MethodPlots.weightTrajectories(steps: steps, weights: weights.map { Array($0.prefix(4)) })
        XCTAssertEqual(plain.series.count, 4)
        XCTAssertFalse(plain.legend.visible)
        XCTAssertEqual(Set(plain.series.compactMap(\.style.color)).count, 4)
        XCTAssertThrowsError(try MethodPlots.weightTrajectories(steps: [0, 1], weights: weights)) { error in
            XCTAssertEqual("\(error)", "weight trajectories: 2 steps but 3 rows of weights")
        }
    }

    func testWeightHistogramsSharedEdges() throws {
        let weights = [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
        let domains = ["a", "b", "a", "b", "a", "a"]
        let figure = try MethodPlots.weightHistograms(weights: weights, domains: domains, bins: 2)
        XCTAssertEqual(figure.series.map(\.label), ["a", "b"])
        // Shared edges [0, 1, 2]; a = {0, 1, 2, 2} -> [1, 3]; b = {0.5, 1.5} -> [1, 1].
        XCTAssertEqual(figure.series[0].y, [1, 3])
        XCTAssertEqual(figure.series[1].y, [1, 1])
        // Side by side: a in the left half of each bin, b in the right.
        XCTAssertEqual(figure.series[0].x, [0.25, 1.25])
        XCTAssertEqual(figure.series[1].x, [0.75, 1.75])
        XCTAssertEqual(figure.series[0].widths, [0.5, 0.5])
        let single = try MethodPlots.weightHistograms(weights: weights, bins: 2)
        XCTAssertEqual(single.series.count, 1)
        XCTAssertEqual(single.series[0].y, [2, 4])
    }

    func testBestOfN() throws {
        let figure = try MethodPlots.bestOfN(ns: [1, 2, 4, 8, 16],
                                             curves: ["min": [0.5, 0.52, 0.53, 0.54, 0.55], "mean": [0.5, 0.55, 0.6, 0.62, 0.64]],
                                             baselines: ["first": [0.5], "self-consistency": [0.5, 0.5, 0.56, 0.6, 0.61]])
        XCTAssertEqual(figure.series.map(\.label), ["mean", "min", "first", "self-consistency"])
        XCTAssertEqual(figure.series[0].kind, .linespoints)
        XCTAssertEqual(figure.series[2].x, [1, 16])
        XCTAssertEqual(figure.series[2].y, [0.5, 0.5])
        XCTAssertEqual(figure.series[2].style.dash, .dashed)
        XCTAssertEqual(figure.series[3].style.dash, .dashed)
        XCTAssertEqual(figure.xScale, .log(base: 2))
        XCTAssertEqual(figure.yRange.min!, 0.5 - 0.007, accuracy: 1e-12)
        XCTAssertEqual(figure.yRange.max!, 0.64 + 0.007, accuracy: 1e-12)
        XCTAssertEqual(figure.yRange.min!, 0.5 - 0.007, accuracy: 1e-12)
        XCTAssertEqual(figure.yRange.max!, 0.64 + 0.007, accuracy: 1e-12)
        XCTAssertThrowsError(try MethodPlots.bestOfN(ns: [1, 2], curves: ["mean": [0.5]])) { error in
            XCTAssertEqual("\(error)", "accuracy of 'mean': 1 values but 2 N values")
        }
        let short = try MethodPlots.bestOfN(ns: [1, 2], curves: [NamedValues("mean", [0.5, 0.6])])
        XCTAssertEqual(short.xScale, .linear)
    }

    func testLearningRatesAreTwoPanels() throws {
        let figure = try MethodPlots.learningRates(steps: [0, 1, 2], lower: [1e-5, 5e-5, 0], meta: [5e-3, 5e-3, 5e-3])
        XCTAssertTrue(figure.isMultiplot)
        XCTAssertEqual(figure.layout, Layout(rows: 1, columns: 2))
        XCTAssertEqual(figure.panels.map { $0.series[0].y }, [[1e-5, 5e-5, 0], [5e-3, 5e-3, 5e-3]])
        XCTAssertThrowsError(try MethodPlots.learningRates(steps: [0, 1], lower: [1, 2], meta: [1]))
    }
}
