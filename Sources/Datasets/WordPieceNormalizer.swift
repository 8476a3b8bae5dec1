import Foundation

/// BERT's text normaliser, as Hugging Face `tokenizers`' `BertNormalizer` (the fast tokenizer
/// that `tokenizer.json` describes), applied in its order:
///
/// 1. `cleanText`: drop NUL, U+FFFD and control characters (general category C*: Cc, Cf, Cs,
///    Co, Cn, except tab, newline and carriage return); map every white-space character to ' '.
/// 2. `handleChineseCharacters`: put a space on each side of a CJK ideograph (the CJK Unified
///    Ideographs blocks and extensions A-E, the compatibility ideographs), so each is a word.
/// 3. `stripAccents`: canonical decomposition (NFD), then drop non-spacing marks (Mn).
///    Unset (nil) in the file means "follow `lowercase`", as the reference does.
/// 4. `lowercase`: each scalar's full lower-case mapping (no context rules such as final sigma,
///    as the reference lower-cases character by character).
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseCharacters: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// True for the scalars `cleanText` removes.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// BERT's definition of a CJK character (the ranges of the original `_is_chinese_char`).
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }

    /// `text` normalised (see the type's doc), as scalars.
    public func normalize(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || BertNormalizer.isControl(s) { continue }
                if s.properties.isWhitespace { out.append(" "); continue }
            }
            if handleChineseCharacters && BertNormalizer.isChineseCharacter(s) {
                out.append(" "); out.append(s); out.append(" ")
            } else {
                out.append(s)
            }
        }
        if stripAccents {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: out)
            // NFD scalar by scalar would miss nothing either, but Foundation decomposes a whole
            // string in one call (Hangul syllables included, as the reference).
            out = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(out.count)
            for s in out {
                if s.isASCII {
                    lowered.append(s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32)! : s)
                } else {
                    lowered.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
                }
            }
            out = lowered
        }
        return out
    }
}

/// BERT's pre-tokeniser (`BertPreTokenizer`): splits normalised text on white space (dropped)
/// and on punctuation (each punctuation character is its own word).
///
/// Punctuation is BERT's definition: the ASCII ranges 33-47, 58-64, 91-96, 123-126 (so `$`, `+`,
/// `^`, `` ` ``, `|`, `~` count although Unicode calls them symbols) plus every Unicode P*
/// category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
public enum BertPreTokenizer {
    public static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The words of `scalars`, in order.
    public static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in scalars {
            if s.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
