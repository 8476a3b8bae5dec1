/// How a byte-level BPE tokenizer cuts text into pieces before merging: a list of steps, each of
/// which cuts every piece further (a later step never joins what an earlier one cut), as Hugging
/// Face's `Sequence` pre-tokenizer and llama.cpp's list of regexes do.
///
/// The splitting regexes of the common vocabularies are written out as scanners rather than run
/// through a regex engine (the same matches, several times faster). Character classes are the
/// Unicode ones the regexes use (Oniguruma's, in Hugging Face `tokenizers`): `\p{L}` the letter
/// categories, `\p{N}` the number categories, `\s` the White_Space property.
public struct BPEPreTokenizer: Sendable, Equatable {
    /// One splitting step.
    public enum Step: Sendable, Equatable {
        /// Every number character (`\p{N}`) alone (`Digits(individual_digits: true)`; llama.cpp's
        /// leading `\p{N}` regex of the `smollm`, `starcoder`, ... vocabularies).
        case individualDigits
        /// Runs of number characters (`Digits(individual_digits: false)`).
        case digitRuns
        /// One of the known splitting regexes (matches and the text between them are kept, as
        /// `Split(behavior: Isolated)` and ByteLevel's `use_regex` do).
        case regex(BPESplitPattern)
    }

    public var steps: [Step]
    /// Prepend a space to each piece of text that does not start with one (ByteLevel's
    /// `add_prefix_space`), before the steps run.
    public var addPrefixSpace: Bool

    public init(steps: [Step], addPrefixSpace: Bool = false) {
        self.steps = steps
        self.addPrefixSpace = addPrefixSpace
    }

    /// The pre-tokenizer of a llama.cpp `tokenizer.ggml.pre` name (nil for names dprm does not
    /// know; `knownGGUFNames` lists the known ones).
    public static func gguf(_ pre: String) -> BPEPreTokenizer? {
        switch pre {
        case "gpt-2", "gpt2", "default", "mpt", "olmo", "jais":
            return BPEPreTokenizer(steps: [.regex(.gpt2)])
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            return BPEPreTokenizer(steps: [.individualDigits, .regex(.gpt2)])
        case "qwen2", "deepseek-r1-qwen":
            return BPEPreTokenizer(steps: [.regex(.qwen2)])
        case "llama-bpe", "llama3", "falcon3", "pixtral", "dbrx", "smaug-bpe":
            return BPEPreTokenizer(steps: [.regex(.llama3)])
        default:
            return nil
        }
    }

    public static let knownGGUFNames = ["gpt2", "default", "mpt", "olmo", "jais", "smollm", "starcoder", "refact", "command-r",
                                        "codeshell", "exaone", "minerva-7b", "qwen2", "deepseek-r1-qwen", "llama-bpe",
                                        "llama3", "falcon3", "pixtral", "dbrx", "smaug-bpe"]

    /// The pieces of `text`, as ranges of `scalars` (the text's Unicode scalars).
    func pieces(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        pieces(scalars, classes: scalars.map(ScalarClass.of), in: 0..<scalars.count)
    }

    /// The pieces of `scalars[range]` (`classes` holds each scalar's class), as ranges of `scalars`.
    func pieces(_ scalars: [Unicode.Scalar], classes: [ScalarClass], in range: Range<Int>) -> [Range<Int>] {
        if range.isEmpty { return [] }
        var current = [range]
        for step in steps {
            var next: [Range<Int>] = []
            next.reserveCapacity(current.count * 2)
            for piece in current {
                switch step {
                case .individualDigits: Self.splitDigits(classes, piece, individually: true, into: &next)
                case .digitRuns: Self.splitDigits(classes, piece, individually: false, into: &next)
                case .regex(let p): p.split(scalars, classes, piece, into: &next)
                }
            }
            current = next
        }
        return current
    }

    static func splitDigits(_ cls: [ScalarClass], _ r: Range<Int>, individually: Bool, into out: inout [Range<Int>]) {
        var i = r.lowerBound
        while i < r.upperBound {
            var j = i + 1
            if cls[i] == .number {
                if !individually { while j < r.upperBound, cls[j] == .number { j += 1 } }
            } else {
                while j < r.upperBound, cls[j] != .number { j += 1 }
            }
            out.append(i..<j)
            i = j
        }
    }
}

/// The Unicode class of a character, as the splitting regexes see it.
enum ScalarClass: UInt8 {
    case letter, number, space, other

    static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    @inline(__always)
    static func of(_ s: Unicode.Scalar) -> ScalarClass { s.value < 128 ? ascii[Int(s.value)] : classify(s) }

    static func classify(_ s: Unicode.Scalar) -> ScalarClass {
        let p = s.properties
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return p.isWhitespace ? .space : .other
        }
    }
}

/// The splitting regexes of the common byte-level vocabularies.
public enum BPESplitPattern: String, Sendable, CaseIterable {
    /// GPT-2's (also ByteLevel's `use_regex: true`):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Qwen2's: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case qwen2
    /// Llama 3's: Qwen2's with `\p{N}{1,3}` (numbers in groups of up to three digits).
    case llama3

    /// The regex as written in tokenizer.json files.
    public var regex: String {
        switch self {
        case .gpt2: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .qwen2: return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .llama3: return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The pattern whose regex is `regex` (tokenizer.json's Split pattern), if dprm knows it.
    public init?(regex: String) {
        guard let p = BPESplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = p
    }

    /// The length of a contraction (`'s`, `'re`, ...) at `i`, or 0.
    @inline(__always)
    static func contraction(_ s: [Unicode.Scalar], _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard s[i] == "'", i + 1 < end else { return 0 }
        func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
            caseInsensitive && c.value >= 65 && c.value <= 90 ? Unicode.Scalar(c.value + 32)! : c
        }
        let a = lower(s[i + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
        if i + 2 < end {
            let b = lower(s[i + 2])
            if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return 3 }
        }
        return 0
    }

    /// Cuts `r` into the regex's matches (the alternatives cover every character, so there is
    /// no text between matches).
    func split(_ s: [Unicode.Scalar], _ cls: [ScalarClass], _ r: Range<Int>, into out: inout [Range<Int>]) {
        let end = r.upperBound
        var i = r.lowerBound
        @inline(__always) func run(_ from: Int, _ c: ScalarClass) -> Int {
            var j = from
            while j < end, cls[j] == c { j += 1 }
            return j
        }
        while i < end {
            let j: Int
            switch self {
            case .gpt2: j = gpt2Match(s, cls, i, end, run)
            case .qwen2, .llama3: j = qwen2Match(s, cls, i, end, maxDigits: self == .qwen2 ? 1 : 3, run)
            }
            out.append(i..<j)
            i = j
        }
    }

    /// Where the whitespace alternatives `\s+(?!\S)|\s+` end for the space run starting at `i`.
    @inline(__always)
    static func spaceMatch(_ i: Int, _ runEnd: Int, _ end: Int) -> Int {
        // Greedy \s+ then (?!\S): at the end of the text the whole run; before a non-space the
        // run less its last character (which then leads the next piece), unless that leaves
        // nothing, when \s+ takes the single character.
        if runEnd == end { return runEnd }
        return runEnd - 1 > i ? runEnd - 1 : runEnd
    }

    private func gpt2Match(_ s: [Unicode.Scalar], _ cls: [ScalarClass], _ i: Int, _ end: Int,
                           _ run: (Int, ScalarClass) -> Int) -> Int {
        let c = BPESplitPattern.contraction(s, i, end, caseInsensitive: false)
        if c > 0 { return i + c }
        // ` ?X+` for X in letters, numbers, others: an optional literal space, then the run.
        var start = i
        if s[i] == " ", i + 1 < end, cls[i + 1] != .space { start = i + 1 }
        let k = cls[start]
        if k != .space { return run(start, k) }
        return BPESplitPattern.spaceMatch(i, run(i, .space), end)
    }

    private func qwen2Match(_ s: [Unicode.Scalar], _ cls: [ScalarClass], _ i: Int, _ end: Int, maxDigits: Int,
                            _ run: (Int, ScalarClass) -> Int) -> Int {
        let c = BPESplitPattern.contraction(s, i, end, caseInsensitive: true)
        if c > 0 { return i + c }
        let k = cls[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if k == .letter { return run(i, .letter) }
        if k != .number, s[i] != "\r", s[i] != "\n", i + 1 < end, cls[i + 1] == .letter { return run(i + 1, .letter) }
        // \p{N} or \p{N}{1,3}
        if k == .number {
            var j = i + 1
            while j < end, j - i < maxDigits, cls[j] == .number { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = i
        if s[i] == " ", i + 1 < end, cls[i + 1] == .other { start = i + 1 }
        if cls[start] == .other {
            var j = run(start, .other)
            while j < end, s[j] == "\r" || s[j] == "\n" { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: up to the last line break of the space run, if it has one.
        let runEnd = run(i, .space)
        var p = runEnd - 1
        while p >= i, s[p] != "\r", s[p] != "\n" { p -= 1 }
        if p >= i { return p + 1 }
        return BPESplitPattern.spaceMatch(i, runEnd, end)
    }
}
