import Foundation
import XCTest
@testable import Plotting

/// Runs the real gnuplot (skipped with an install hint when it is missing).
final class GnuplotDriverTests: XCTestCase {
    static func sampleFigure(title: String = "dprm sample_plot") throws -> Figure {
        var figure = Figure(title: title, xLabel: "step", yLabel: "loss")
        let x = (0..<50).map(Double.init)
        try figure.plot(x, x.map { exp(-$0 / 10) }, label: "lower loss")
        try figure.plot(x, x.map { 0.5 * exp(-$0 / 20) }, label: "meta loss", style: Style(dash: .dashed))
        try figure.scatter(x, x.map { 0.3 + 0.1 * sin($0) }, label: "points")
        return figure
    }

    func testTerminalsAreProbedAndIncludeDumbAndPNG() throws {
        let gnuplot = try Support.gnuplot()
        let terminals = try gnuplot.terminals()
        XCTAssertTrue(terminals.contains("dumb"), "\(terminals.sorted())")
        XCTAssertTrue(terminals.contains("png") || terminals.contains("pngcairo"), "\(terminals.sorted())")
        XCTAssertFalse(terminals.contains("Available"))
        // Cached: the second call answers the same set.
        XCTAssertEqual(try gnuplot.terminals(), terminals)
        XCTAssertEqual(Terminal(format: .png, available: terminals),
                       terminals.contains("pngcairo") ? .pngcairo : .png)
    }

    func testParsesTerminalListing() {
        let listing = """

        Available terminal types:
               cairolatex  LaTeX picture environment using graphicx package and Cairo backend
                     dumb  ascii art for anything that prints text
        Press return for more:              jpeg  JPEG images using libgd and TrueType fonts
                 pngcairo  png terminal based on cairo
        """
        XCTAssertEqual(Gnuplot.parseTerminals(listing), ["cairolatex", "dumb", "jpeg", "pngcairo"])
    }

    func testRealPNGIsDecodableSizedAndNotBlank() throws {
        let gnuplot = try Support.gnuplot()
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var figure = try Self.sampleFigure()
        figure.size = FigureSize(width: 500, height: 320)
        let saved = try Plotter(gnuplot: gnuplot).savefig(figure, directory + "/loss.png")
        XCTAssertEqual(saved.path, directory + "/loss.png")
        XCTAssertEqual(saved.backend, .gnuplot(terminal: try gnuplot.terminals().contains("pngcairo") ? "pngcairo" : "png"))
        let png = try DecodedPNG(path: saved.path)
        XCTAssertEqual(png.width, 500)
        XCTAssertEqual(png.height, 320)
        XCTAssertGreaterThan(png.colors.count, 5, "the PNG looks blank")
        // Each series' palette colour is there (cairo blends edges, hence "near").
        XCTAssertGreaterThan(png.countNear(0x1f77b4), 30, "lower loss line missing")
        XCTAssertGreaterThan(png.countNear(0xff7f0e), 30, "meta loss line missing")
        XCTAssertGreaterThan(png.countNear(0x2ca02c), 30, "scatter points missing")
        // No temporary file is left beside the output.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["loss.png"])
    }

    func testRealHistogramPNGHasFilledBars() throws {
        let gnuplot = try Support.gnuplot()
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let figure = try MethodPlots.weightHistograms(weights: (0..<300).map { 1 + sin(Double($0)) },
                                                       domains: (0..<300).map { $0 % 3 == 0 ? "geometry" : "charts" }, bins: 12)
        let saved = try Plotter(gnuplot: gnuplot).savefig(figure, directory + "/w.png")
        let png = try DecodedPNG(path: saved.path)
        XCTAssertEqual(png.width, 640)
        XCTAssertEqual(png.height, 480)
        // Bars are "fs solid 0.5": the palette colour half-way to white, over large areas.
        XCTAssertGreaterThan(png.countNear(0x8fbbd9, tolerance: 12), 2000, "blue bars missing")
        XCTAssertGreaterThan(png.countNear(0xffbf86, tolerance: 12), 2000, "orange bars missing")
    }

    func testSVGAndPDFAndTextFiles() throws {
        let gnuplot = try Support.gnuplot()
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plotter = Plotter(gnuplot: gnuplot)
        let figure = try Self.sampleFigure()
        try plotter.savefig(figure, directory + "/f.svg")
        let svg = try String(contentsOfFile: directory + "/f.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"))
        XCTAssertTrue(svg.contains("</svg>"), "the SVG must be complete (unset output)")
        XCTAssertTrue(svg.contains("dprm sample_plot"))
        if try gnuplot.terminals().contains("pdfcairo") {
            try plotter.savefig(figure, directory + "/f.pdf")
            let pdf = try Data(contentsOf: URL(fileURLWithPath: directory + "/f.pdf"))
            XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
            XCTAssertTrue(String(decoding: pdf.suffix(8), as: UTF8.self).contains("%%EOF"))
        }
        try plotter.savefig(figure, directory + "/f.txt")
        XCTAssertTrue(try String(contentsOfFile: directory + "/f.txt", encoding: .utf8).contains("dprm sample_plot"))
        XCTAssertThrowsError(try plotter.savefig(figure, directory + "/f.bmp")) { error in
            XCTAssertTrue("\(error)".contains("unknown extension '.bmp'"), "\(error)")
        }
        XCTAssertThrowsError(try plotter.savefig(figure, directory + "/missing/f.png")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    func testDumbTextPlotHasTitleAndSize() throws {
        let gnuplot = try Support.gnuplot()
        let text = try Plotter(gnuplot: gnuplot).render(try Self.sampleFigure(title: "weights_of \"run\" #1 \\ @home $x"), width: 70, height: 20)
        XCTAssertTrue(text.contains("weights_of \"run\" #1 \\ @home $x"), text)
        XCTAssertFalse(text.hasPrefix("\u{0C}"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertGreaterThanOrEqual(lines.count, 20)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 70 }, text)
        XCTAssertTrue(text.contains("*") || text.contains("+") || text.contains("#"), text)
    }

    func testRenderToMemory() throws {
        let gnuplot = try Support.gnuplot()
        let plotter = Plotter(gnuplot: gnuplot)
        let figure = try Self.sampleFigure()
        let svg = try plotter.render(figure, .svg)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("</svg>"), svg)
        let png = try DecodedPNG(data: try plotter.renderData(figure, .png))
        XCTAssertEqual(png.width, 640)
        XCTAssertEqual(png.height, 480)
        XCTAssertGreaterThan(png.colors.count, 5)
        XCTAssertThrowsError(try plotter.render(figure, .png))
    }

    func testMultiplotRenders() throws {
        let gnuplot = try Support.gnuplot()
        let a = try plot([1, 2, 3], [1, 4, 9], label: "a", title: "left panel")
        let b = try hist([1, 1, 2, 3, 3, 3], bins: 3, title: "right panel")
        let figure = try Figure.subplots(rows: 1, columns: 2, [a, b], title: "both")
        let text = try Plotter(gnuplot: gnuplot).render(figure, width: 100, height: 24)
        XCTAssertTrue(text.contains("left panel"), text)
        XCTAssertTrue(text.contains("right panel"), text)
        XCTAssertTrue(text.contains("both"), text)
    }

    func testBadRawCommandBecomesPlotErrorWithLine() throws {
        let gnuplot = try Support.gnuplot()
        var figure = try plot([1, 2, 3], [3, 1, 2], label: "x")
        figure.addRaw("set frobnicate 3")
        let script = try figure.gnuplotScript(terminal: .dumb(width: 60, height: 15), output: nil)
        let expectedLine = script.split(separator: "\n").firstIndex { $0 == "set frobnicate 3" }! + 1
        XCTAssertThrowsError(try Plotter(gnuplot: gnuplot).render(figure, width: 60, height: 15)) { error in
            guard case let PlotError.gnuplot(message, command, line) = error else {
                return XCTFail("expected a gnuplot error, got \(error)")
            }
            XCTAssertEqual(command, "set frobnicate 3")
            XCTAssertEqual(line, expectedLine)
            XCTAssertTrue(message.contains("unrecognized option") || message.contains("invalid"), message)
            XCTAssertTrue("\(error)".contains("line \(expectedLine)"), "\(error)")
        }
    }

    func testFailedFileOutputLeavesNothingBehind() throws {
        let gnuplot = try Support.gnuplot()
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var figure = try plot([1, 2], [1, 2])
        figure.addRaw("plot $nosuchblock")
        XCTAssertThrowsError(try Plotter(gnuplot: gnuplot).savefig(figure, directory + "/bad.png")) { error in
            XCTAssertTrue("\(error)".contains("plot $nosuchblock"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testWarningsDoNotFail() throws {
        let gnuplot = try Support.gnuplot()
        let output = try gnuplot.run("set terminal dumb size 40,10\nplot 'no-such-file.dat', x\nunset output\n")
        XCTAssertTrue(output.warnings.contains { $0.contains("no-such-file.dat") }, "\(output.warnings)")
        XCTAssertFalse(output.stdout.isEmpty)
    }

    func testHungGnuplotIsKilledAfterTimeout() throws {
        var gnuplot = try Support.gnuplot()
        gnuplot.timeout = 0.5
        let start = Date()
        XCTAssertThrowsError(try gnuplot.run("pause 5\n")) { error in
            XCTAssertTrue("\(error)".contains("killed after 0.5 s"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 4)
    }

    func testMissingExecutableIsAClearError() throws {
        let bogus = Gnuplot(executable: "/nonexistent/bin/gnuplot")
        XCTAssertThrowsError(try bogus.terminals()) { error in
            XCTAssertTrue("\(error)".contains("scripts/setup"), "\(error)")
        }
    }

    /// 200 figures in a row leave no gnuplot process (running or zombie) and no open descriptor.
    func testTwoHundredFiguresLeaveNoProcessOrDescriptor() throws {
        let gnuplot = try Support.gnuplot()
        let plotter = Plotter(gnuplot: gnuplot)
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try gnuplot.terminals()  // the probe is a one-off, not part of the loop
        _ = try plotter.render(try plot([0, 1], [0, 1]), width: 40, height: 10)  // warm up Foundation's process machinery
        try settle()
        let descriptorsBefore = openDescriptors()
        let childrenBefore = childProcesses()
        var figure = Figure(title: "step")
        try figure.plot([0, 1, 2], [0, 1, 0.5])
        for i in 0..<200 {
            figure.title = "step \(i)"
            if i % 4 == 0 {
                try plotter.savefig(figure, directory + "/f.png")
            } else if i % 4 == 1 {
                var bad = figure
                bad.addRaw("set nonsense")
                XCTAssertThrowsError(try plotter.render(bad, width: 40, height: 10))
            } else {
                XCTAssertTrue(try plotter.render(figure, width: 40, height: 10).contains("step \(i)"))
            }
        }
        try settle()
        XCTAssertEqual(childProcesses(), childrenBefore, "gnuplot processes left behind")
        XCTAssertLessThanOrEqual(openDescriptors(), descriptorsBefore, "file descriptors leaked")
    }

    /// Foundation closes its per-process socket just after the child is reaped, on its own
    /// thread; give it a moment.
    func settle() throws {
        Thread.sleep(forTimeInterval: 0.3)
    }

    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// Processes whose parent is this test process (zombies included).
    func childProcesses() -> [String] {
        let me = getpid()
        var children: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, Int32(fields[1]) == me { children.append("\(entry) \(stat[..<close]))") }
        }
        return children.sorted()
    }
}
