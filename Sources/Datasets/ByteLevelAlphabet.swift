/// GPT-2's byte-to-unicode map, which byte-level BPE vocabularies are written in: every byte is
/// one printable character, so a token is an ordinary string. Bytes 33...126, 161...172 and
/// 174...255 stand for themselves; the other 68 (controls, space, 127...160, the soft hyphen 173)
/// become U+0100 onwards in byte order (space is `Ġ`, U+0120; newline is `Ċ`, U+010A).
public enum ByteLevelAlphabet {
    /// The character of each byte.
    public static let characters: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                out[b] = Unicode.Scalar(UInt32(b))!
            } else {
                out[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return out
    }()

    /// The byte of each character of the alphabet.
    public static let bytes: [Unicode.Scalar: UInt8] = {
        var out: [Unicode.Scalar: UInt8] = [:]
        for (b, c) in characters.enumerated() { out[c] = UInt8(b) }
        return out
    }()

    /// `text`'s UTF-8 bytes spelled in the alphabet.
    public static func encode<S: Sequence>(_ utf8: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in utf8 { s.append(characters[Int(b)]) }
        return String(s)
    }

    /// Appends the bytes a token string stands for: each alphabet character is its byte; any
    /// other character (an added token's text, such as `<|im_start|>` or a space) is its own
    /// UTF-8, as Hugging Face's ByteLevel decoder does.
    public static func appendBytes(of token: String, to out: inout [UInt8]) {
        for c in token.unicodeScalars {
            if let b = bytes[c] { out.append(b) } else { out.append(contentsOf: Array(String(c).utf8)) }
        }
    }
}
