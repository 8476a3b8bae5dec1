import Foundation

/// The built-in renderer used when gnuplot is missing: draws a figure into a `Canvas` with an
/// axes box, tick marks (no text: there is no font), optional grid, lines, bars and markers in
/// the series' colours, and legend swatches. Raw gnuplot lines are ignored.
enum Rasterizer {
    static let black = Color(red: 0, green: 0, blue: 0)
    static let white = Color(red: 255, green: 255, blue: 255)
    static let gridGray = Color(red: 220, green: 220, blue: 220)

    /// Pixels of `figure` at its own size.
    static func draw(_ figure: Figure) throws -> Canvas {
        try figure.validate()
        var canvas = Canvas(width: figure.size.width, height: figure.size.height)
        if let layout = figure.layout, figure.isMultiplot {
            let top = figure.title == nil ? 0 : 20
            let cellWidth = figure.size.width / layout.columns
            let cellHeight = (figure.size.height - top) / layout.rows
            for (index, panel) in figure.panels.enumerated() {
                let (row, column) = (index / layout.columns, index % layout.columns)
                drawPlot(panel, into: &canvas, x: column * cellWidth, y: top + row * cellHeight, width: cellWidth, height: cellHeight)
            }
        } else {
            drawPlot(figure, into: &canvas, x: 0, y: 0, width: figure.size.width, height: figure.size.height)
        }
        return canvas
    }

    /// Maps data values on one axis to pixels.
    struct Axis {
        var lo: Double
        var hi: Double
        var logBase: Double?
        var pixelLo: Double
        var pixelHi: Double

        func transform(_ v: Double) -> Double {
            if let base = logBase { return v > 0 ? Foundation.log(v) / Foundation.log(base) : -.infinity }
            return v
        }

        func pixel(_ v: Double) -> Double {
            let (a, b, t) = (transform(lo), transform(hi), transform(v))
            return pixelLo + (t - a) / (b - a) * (pixelHi - pixelLo)
        }

        /// Tick positions: powers of the base on a log axis, 1-2-5 steps on a linear one.
        func ticks() -> [Double] {
            if let base = logBase {
                let (a, b) = (Foundation.log(lo) / Foundation.log(base), Foundation.log(hi) / Foundation.log(base))
                guard b - a < 60 else { return [] }
                return Array(Int(a.rounded(.up))...max(Int(a.rounded(.up)), Int(b.rounded(.down)))).map { pow(base, Double($0)) }.filter { $0 >= lo && $0 <= hi }
            }
            let raw = (hi - lo) / 6
            let magnitude = pow(10, (Foundation.log10(raw)).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
            var ticks: [Double] = []
            var t = (lo / step).rounded(.up) * step
            while t <= hi + step * 1e-9, ticks.count < 50 {
                ticks.append(t)
                t += step
            }
            return ticks
        }
    }

    /// Data bounds of one axis over all series: finite values only, positive ones on a log axis,
    /// widened when empty or a single value, padded a little so lines do not run on the frame.
    static func bounds(_ values: [Double], range: AxisRange, scale: Scale, pad: Bool) -> (Double, Double) {
        let isLog: Bool
        if case .log = scale { isLog = true } else { isLog = false }
        let usable = values.filter { $0.isFinite && (!isLog || $0 > 0) }
        var lo = usable.min() ?? (isLog ? 1 : 0)
        var hi = usable.max() ?? (isLog ? 10 : 1)
        if lo == hi {
            if isLog { (lo, hi) = (lo / 2, hi * 2) } else { (lo, hi) = (lo - 0.5, hi + 0.5) }
        } else if pad {
            if isLog {
                let f = pow(hi / lo, 0.04)
                (lo, hi) = (lo / f, hi * f)
            } else {
                let p = (hi - lo) * 0.04
                (lo, hi) = (lo - p, hi + p)
            }
        }
        if let fixed = range.min { lo = fixed }
        if let fixed = range.max { hi = fixed }
        if !(lo < hi) { hi = lo + (isLog ? lo : 1) }
        return (lo, hi)
    }

    static func drawPlot(_ plot: Figure, into canvas: inout Canvas, x: Int, y: Int, width: Int, height: Int) {
        // Margins where gnuplot would put tick labels and titles.
        let left = x + max(40, width / 10)
        let right = x + width - max(15, width / 40)
        let top = y + (plot.title == nil ? max(12, height / 30) : max(28, height / 16))
        let bottom = y + height - max(35, height / 12)
        guard right - left > 10, bottom - top > 10 else { return }

        var xs: [Double] = []
        var ys: [Double] = []
        var hasBars = false
        for series in plot.series {
            if series.kind == .bars, let widths = series.widths {
                hasBars = true
                for i in series.x.indices {
                    xs.append(series.x[i] - widths[i] / 2)
                    xs.append(series.x[i] + widths[i] / 2)
                }
                ys.append(contentsOf: series.y)
                if case .linear = plot.yScale { ys.append(0) }
            } else {
                xs.append(contentsOf: series.x)
                ys.append(contentsOf: series.y)
            }
        }
        let (xlo, xhi) = bounds(xs, range: plot.xRange, scale: plot.xScale, pad: !hasBars)
        let (ylo, yhi) = bounds(ys, range: plot.yRange, scale: plot.yScale, pad: true)
        func base(_ scale: Scale) -> Double? {
            if case let .log(b) = scale { return b }
            return nil
        }
        let xAxis = Axis(lo: xlo, hi: xhi, logBase: base(plot.xScale), pixelLo: Double(left), pixelHi: Double(right))
        let yAxis = Axis(lo: ylo, hi: yhi, logBase: base(plot.yScale), pixelLo: Double(bottom), pixelHi: Double(top))

        canvas.resetClip()
        let xTicks = xAxis.ticks().map { Int(xAxis.pixel($0).rounded()) }
        let yTicks = yAxis.ticks().map { Int(yAxis.pixel($0).rounded()) }
        if plot.grid {
            for px in xTicks { canvas.line(px, top, px, bottom, gridGray) }
            for py in yTicks { canvas.line(left, py, right, py, gridGray) }
        }
        let tick = max(4, min(width, height) / 80)
        for px in xTicks {
            canvas.line(px, bottom, px, bottom - tick, black)
            canvas.line(px, top, px, top + tick, black)
        }
        for py in yTicks {
            canvas.line(left, py, left + tick, py, black)
            canvas.line(right, py, right - tick, py, black)
        }

        canvas.clip = (left + 1, top + 1, right - 1, bottom - 1)
        let scale = max(1.0, Double(min(width, height)) / 480)
        for (index, series) in plot.series.enumerated() {
            let color = series.style.color ?? Color.cycle(index)
            let thickness = max(1, Int((series.style.lineWidth * scale).rounded()))
            func point(_ i: Int) -> (Int, Int)? {
                let (px, py) = (xAxis.pixel(series.x[i]), yAxis.pixel(series.y[i]))
                guard px.isFinite, py.isFinite, abs(px) < 1e6, abs(py) < 1e6 else { return nil }
                return (Int(px.rounded()), Int(py.rounded()))
            }
            switch series.kind {
            case .bars:
                let baseline = Int(yAxis.pixel(yAxis.logBase == nil ? max(0, ylo) : ylo).rounded())
                let fill = color.mixed(with: white, 0.5)
                for i in series.x.indices {
                    let w = series.widths?[i] ?? 1
                    let x0 = xAxis.pixel(series.x[i] - w / 2), x1 = xAxis.pixel(series.x[i] + w / 2)
                    let top = yAxis.pixel(series.y[i])
                    guard x0.isFinite, x1.isFinite, top.isFinite, series.y[i] != 0 else { continue }
                    let (ix0, ix1, itop) = (Int(x0.rounded()), Int(x1.rounded()), Int(top.rounded()))
                    canvas.fillRect(x0: ix0, y0: itop, x1: ix1, y1: baseline, fill)
                    canvas.strokeRect(x0: ix0, y0: itop, x1: ix1, y1: baseline, color)
                }
            case .line, .linespoints:
                var phase = 0
                var previous: (Int, Int)?
                for i in series.x.indices {
                    let current = point(i)
                    if let a = previous, let b = current {
                        canvas.line(a.0, a.1, b.0, b.1, color, thickness: thickness, dash: series.style.dash, phase: &phase)
                    }
                    previous = current
                }
                if series.kind == .linespoints {
                    for i in series.x.indices {
                        if let p = point(i) { canvas.disc(p.0, p.1, radius: Int((3 * series.style.pointSize * scale).rounded()), color) }
                    }
                }
            case .points, .scatter:
                for i in series.x.indices {
                    if let p = point(i) { canvas.disc(p.0, p.1, radius: Int((3 * series.style.pointSize * scale).rounded()), color) }
                }
            }
        }

        // Legend: one swatch per labelled series (no text without a font).
        let labelled = plot.series.enumerated().filter { $0.element.label != nil }
        if plot.legend.visible, !labelled.isEmpty {
            let row = max(10, Int(12 * scale))
            let boxWidth = Int(30 * scale)
            let boxHeight = row * labelled.count + 6
            let atLeft = plot.legend.position == .topLeft || plot.legend.position == .bottomLeft
            let atBottom = plot.legend.position == .bottomLeft || plot.legend.position == .bottomRight
            let bx = atLeft ? left + 6 : right - 6 - boxWidth
            let by = atBottom ? bottom - 6 - boxHeight : top + 6
            canvas.fillRect(x0: bx, y0: by, x1: bx + boxWidth, y1: by + boxHeight, white)
            canvas.strokeRect(x0: bx, y0: by, x1: bx + boxWidth, y1: by + boxHeight, black)
            for (slot, entry) in labelled.enumerated() {
                let color = entry.element.style.color ?? Color.cycle(entry.offset)
                let sy = by + 3 + slot * row + row / 2
                if entry.element.kind == .bars {
                    canvas.fillRect(x0: bx + 5, y0: sy - row / 3, x1: bx + boxWidth - 5, y1: sy + row / 3, color.mixed(with: white, 0.5))
                } else {
                    canvas.line(bx + 5, sy, bx + boxWidth - 5, sy, color, thickness: max(2, Int(2 * scale)))
                }
            }
        }
        canvas.resetClip()
        canvas.strokeRect(x0: left, y0: top, x1: right, y1: bottom, black)
    }
}
