import Foundation
import XCTest
@testable import Plotting

/// The built-in PNG writer, used when gnuplot is absent (simulated by `Plotter(gnuplot: nil)` or
/// `DPRM_GNUPLOT` pointing nowhere).
final class BuiltinWriterTests: XCTestCase {
    let noGnuplot = Plotter(gnuplot: nil)

    func testLocateHonoursDPRM_GNUPLOT() {
        XCTAssertNil(Gnuplot.locate(environment: ["DPRM_GNUPLOT": "/nonexistent/gnuplot", "PATH": "/usr/bin:/bin"]))
        XCTAssertNil(Gnuplot.locate(environment: ["DPRM_GNUPLOT": "", "PATH": "/usr/bin:/bin"]))
        XCTAssertNil(Gnuplot.locate(environment: ["PATH": "/nonexistent"]))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/gnuplot") {
            XCTAssertEqual(Gnuplot.locate(environment: ["PATH": "/nonexistent:/usr/bin"])?.executable, "/usr/bin/gnuplot")
        }
    }

    func testLinePlotPNG() throws {
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var figure = Figure(title: "loss", size: FigureSize(width: 400, height: 300))
        let x = (0..<100).map(Double.init)
        try figure.plot(x, x.map { exp(-$0 / 30) }, label: "lower")
        try figure.plot(x, x.map { 0.8 * exp(-$0 / 50) }, label: "meta", style: Style(dash: .dashed))
        try figure.scatter([10, 50, 90], [0.5, 0.5, 0.5], label: "marks", style: Style(color: Color("black"), pointSize: 1))
        figure.grid = true
        let saved = try noGnuplot.savefig(figure, directory + "/loss.png")
        XCTAssertEqual(saved.backend, .builtin)
        XCTAssertTrue(saved.warnings.joined().contains("scripts/setup"), "\(saved.warnings)")
        XCTAssertTrue(saved.warnings.joined().contains("apt-get install gnuplot-nox"), "\(saved.warnings)")
        let png = try DecodedPNG(path: saved.path)
        XCTAssertEqual(png.width, 400)
        XCTAssertEqual(png.height, 300)
        XCTAssertGreaterThanOrEqual(png.colors.count, 4, "expected background, axes and two series colours")
        XCTAssertGreaterThan(png.count(0x1f77b4), 100, "first series (palette blue) missing")
        XCTAssertGreaterThan(png.count(0xff7f0e), 50, "second series (palette orange) missing")
        XCTAssertGreaterThan(png.count(0x000000), 400, "axes box missing")
        XCTAssertGreaterThan(png.count(0xdcdcdc), 100, "grid missing")
        XCTAssertGreaterThan(png.count(0xffffff), 400 * 300 / 2, "background should dominate")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["loss.png"])
    }

    func testHistogramPNGHasFilledBars() throws {
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let weights = (0..<400).map { 1 + sin(Double($0) * 0.7) }
        let domains = (0..<400).map { $0 % 2 == 0 ? "geometry" : "charts" }
        let figure = try MethodPlots.weightHistograms(weights: weights, domains: domains, bins: 10)
        try noGnuplot.savefig(figure, directory + "/hist.png")
        let png = try DecodedPNG(path: directory + "/hist.png")
        XCTAssertEqual(png.width, 640)
        XCTAssertEqual(png.height, 480)
        // Fills are the palette colour half-way to white; borders the full colour.
        XCTAssertGreaterThan(png.count(0x8fbbda), 5000, "blue bar fill missing")
        XCTAssertGreaterThan(png.count(0xffbf87), 5000, "orange bar fill missing")
        XCTAssertGreaterThan(png.count(0x1f77b4), 100, "blue bar borders missing")
    }

    func testSubplotsAndLogScalesDraw() throws {
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logPlot = try plot([1, 10, 100, 1000], [1e-4, 1e-3, 0, 1e-1], label: "log")
        logPlot.xScale = .log10
        logPlot.yScale = .log10  // the 0 is skipped, not drawn at -infinity
        let figure = try Figure.subplots(rows: 2, columns: 1, [logPlot, try hist([1, 2, 2, 3], bins: 3)], title: "two")
        try noGnuplot.savefig(figure, directory + "/sub.png")
        let png = try DecodedPNG(path: directory + "/sub.png")
        XCTAssertEqual(png.width, 480)
        XCTAssertEqual(png.height, 720)
        XCTAssertGreaterThan(png.count(0x1f77b4), 50)
    }

    func testFormatsOtherThanPNGNeedGnuplot() throws {
        let directory = try Support.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let figure = try plot([1, 2], [3, 4])
        for name in ["f.svg", "f.pdf", "f.txt"] {
            XCTAssertThrowsError(try noGnuplot.savefig(figure, directory + "/" + name)) { error in
                XCTAssertEqual(error as? PlotError, .gnuplotMissing(needed: "\(directory)/\(name) (only PNG can be written without it)"))
                XCTAssertTrue("\(error)".contains("scripts/setup"), "\(error)")
                XCTAssertTrue("\(error)".contains("apt-get install gnuplot-nox"), "\(error)")
            }
        }
        XCTAssertThrowsError(try noGnuplot.render(figure)) { error in
            XCTAssertTrue("\(error)".contains("gnuplot is not installed"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testInMemoryPNGForEmbedding() throws {
        var figure = try plot([0, 1, 2], [0, 1, 0], label: "a")
        figure.size = FigureSize(width: 200, height: 100)
        let data = try noGnuplot.renderData(figure, .png)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let png = try DecodedPNG(data: data)
        XCTAssertEqual(png.width, 200)
        XCTAssertEqual(png.height, 100)
        XCTAssertGreaterThan(png.count(0x1f77b4), 20)
        XCTAssertThrowsError(try noGnuplot.renderData(figure, .svg))
    }

    func testCanvasLinePrimitives() {
        var canvas = Canvas(width: 20, height: 10)
        let red = Color(red: 255, green: 0, blue: 0)
        canvas.line(0, 0, 19, 9, red)
        // Bresenham visits one pixel per column of a shallow line, ends included.
        var count = 0
        for y in 0..<10 { for x in 0..<20 where canvas.get(x, y) == red { count += 1 } }
        XCTAssertEqual(count, 20)
        XCTAssertEqual(canvas.get(0, 0), red)
        XCTAssertEqual(canvas.get(19, 9), red)
        canvas.clip = (0, 0, 4, 4)
        canvas.fillRect(x0: 0, y0: 0, x1: 19, y1: 9, red)
        XCTAssertEqual(canvas.get(4, 4), red)
        XCTAssertEqual(canvas.get(5, 5), Color("white"))
    }
}
