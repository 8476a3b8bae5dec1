/// An sRGB colour, 8 bits per channel. Plots name colours as `#rrggbb` or by a small set of names.
public struct Color: Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `#rrggbb`, `rrggbb` or one of `Color.named`'s keys (case-insensitive).
    /// Returns nil for anything else, so callers can report the bad spelling.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        if let named = Color.named[lowered] {
            self = named
            return
        }
        let hex = lowered.hasPrefix("#") ? String(lowered.dropFirst()) : lowered
        guard hex.count == 6, let value = UInt32(hex, radix: 16) else { return nil }
        self.init(red: UInt8((value >> 16) & 0xff), green: UInt8((value >> 8) & 0xff), blue: UInt8(value & 0xff))
    }

    /// `#rrggbb`, the form gnuplot's `lc rgb` takes.
    public var hex: String {
        func two(_ v: UInt8) -> String {
            let digits = Array("0123456789abcdef")
            return String([digits[Int(v >> 4)], digits[Int(v & 0xf)]])
        }
        return "#" + two(red) + two(green) + two(blue)
    }

    public var description: String { hex }

    /// Colours cycled through by series without an explicit colour (matplotlib's tab10, which
    /// stays distinguishable for the common colour-vision deficiencies).
    public static let palette: [Color] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ].map { Color($0)! }

    /// The palette colour for the `index`-th series (wraps around).
    public static func cycle(_ index: Int) -> Color { palette[((index % palette.count) + palette.count) % palette.count] }

    public static let named: [String: Color] = [
        "black": Color(red: 0, green: 0, blue: 0),
        "white": Color(red: 255, green: 255, blue: 255),
        "red": Color(red: 214, green: 39, blue: 40),
        "green": Color(red: 44, green: 160, blue: 44),
        "blue": Color(red: 31, green: 119, blue: 180),
        "orange": Color(red: 255, green: 127, blue: 14),
        "purple": Color(red: 148, green: 103, blue: 189),
        "brown": Color(red: 140, green: 86, blue: 75),
        "pink": Color(red: 227, green: 119, blue: 194),
        "gray": Color(red: 127, green: 127, blue: 127),
        "grey": Color(red: 127, green: 127, blue: 127),
        "olive": Color(red: 188, green: 189, blue: 34),
        "cyan": Color(red: 23, green: 190, blue: 207),
    ]
}
