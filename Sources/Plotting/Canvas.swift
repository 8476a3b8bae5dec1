/// An RGB pixel buffer with the few drawing primitives the built-in writer needs: filled
/// rectangles, thick (optionally dashed) Bresenham lines, discs; everything clipped to `clip`.
struct Canvas {
    let width: Int
    let height: Int
    /// Row-major, 3 bytes per pixel, top row first (PNG order).
    var pixels: [UInt8]
    /// Drawing outside this rectangle (x0, y0, x1, y1 inclusive) is dropped.
    var clip: (x0: Int, y0: Int, x1: Int, y1: Int)

    init(width: Int, height: Int, background: Color = Color(red: 255, green: 255, blue: 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        clip = (0, 0, width - 1, height - 1)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.red
            pixels[3 * i + 1] = background.green
            pixels[3 * i + 2] = background.blue
        }
    }

    mutating func resetClip() { clip = (0, 0, width - 1, height - 1) }

    mutating func set(_ x: Int, _ y: Int, _ color: Color) {
        guard x >= clip.x0, x <= clip.x1, y >= clip.y0, y <= clip.y1 else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.red
        pixels[i + 1] = color.green
        pixels[i + 2] = color.blue
    }

    func get(_ x: Int, _ y: Int) -> Color {
        let i = 3 * (y * width + x)
        return Color(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
    }

    mutating func fillRect(x0: Int, y0: Int, x1: Int, y1: Int, _ color: Color) {
        let (lx, hx) = (max(min(x0, x1), clip.x0), min(max(x0, x1), clip.x1))
        let (ly, hy) = (max(min(y0, y1), clip.y0), min(max(y0, y1), clip.y1))
        guard lx <= hx, ly <= hy else { return }
        for y in ly...hy {
            for x in lx...hx { set(x, y, color) }
        }
    }

    mutating func strokeRect(x0: Int, y0: Int, x1: Int, y1: Int, _ color: Color) {
        line(x0, y0, x1, y0, color)
        line(x1, y0, x1, y1, color)
        line(x1, y1, x0, y1, color)
        line(x0, y1, x0, y0, color)
    }

    /// Pixels on and off along a dashed line, gnuplot's dash types in pixels.
    static func pattern(_ dash: Dash) -> [Int] {
        switch dash {
        case .solid: return []
        case .dashed: return [9, 6]
        case .dotted: return [2, 4]
        case .dashdot: return [9, 4, 2, 4]
        }
    }

    /// A Bresenham line `thickness` pixels wide (a square brush). `phase` carries the position
    /// in the dash pattern from one segment of a polyline to the next.
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: Color, thickness: Int = 1,
                       dash: Dash = .solid, phase: inout Int) {
        let pattern = Canvas.pattern(dash)
        let period = pattern.reduce(0, +)
        let (dx, dy) = (abs(x1 - x0), -abs(y1 - y0))
        let (sx, sy) = (x0 < x1 ? 1 : -1, y0 < y1 ? 1 : -1)
        var error = dx + dy
        var (x, y) = (x0, y0)
        let lo = -(thickness - 1) / 2
        let hi = thickness / 2
        // Segments far outside the canvas (a huge value on a linear axis) are not walked pixel by pixel.
        guard max(abs(x0), abs(x1), abs(y0), abs(y1)) < 1 << 20 else { return }
        while true {
            var on = true
            if period > 0 {
                var position = phase % period
                var index = 0
                while position >= pattern[index] {
                    position -= pattern[index]
                    index += 1
                }
                on = index % 2 == 0
            }
            phase += 1
            if on {
                for oy in lo...hi {
                    for ox in lo...hi { set(x + ox, y + oy, color) }
                }
            }
            if x == x1 && y == y1 { break }
            let doubled = 2 * error
            if doubled >= dy {
                error += dy
                x += sx
            }
            if doubled <= dx {
                error += dx
                y += sy
            }
        }
    }

    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: Color, thickness: Int = 1) {
        var phase = 0
        line(x0, y0, x1, y1, color, thickness: thickness, phase: &phase)
    }

    mutating func disc(_ cx: Int, _ cy: Int, radius: Int, _ color: Color) {
        let r = max(radius, 1)
        for y in -r...r {
            for x in -r...r where x * x + y * y <= r * r { set(cx + x, cy + y, color) }
        }
    }
}

extension Color {
    /// `self` mixed with `other`; `amount` 0 gives self, 1 gives other.
    func mixed(with other: Color, _ amount: Double) -> Color {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - amount) + Double(b) * amount).rounded()) }
        return Color(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue))
    }
}
