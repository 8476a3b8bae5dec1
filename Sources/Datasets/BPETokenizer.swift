import Foundation

/// A byte-level BPE tokenizer (GPT-2, SmolLM, Qwen2, Llama 3 vocabularies), read from a GGUF
/// file's `tokenizer.ggml.*` metadata or a Hugging Face `tokenizer.json`
/// (`BPETokenizer+Loading.swift`).
///
/// Encoding: the added tokens (`<|im_start|>`, `<|endoftext|>`, ...) are cut out of the text
/// first, wherever they occur, longest first, and become their ids; the text between them is
/// normalised (NFC when the tokenizer asks for it), cut into pieces by the pre-tokenizer,
/// each piece's UTF-8 bytes are spelled in `ByteLevelAlphabet` and merged by BPE: repeatedly the
/// adjacent pair with the best (lowest) merge rank, leftmost first, until no pair has a merge.
/// A piece's ids are cached, so text that repeats (a corpus, a template) costs one dictionary
/// look-up per piece.
///
/// Decoding: each id's token string back to bytes (`ByteLevelAlphabet.appendBytes`), the bytes
/// as UTF-8 (invalid sequences become U+FFFD, as in Hugging Face).
public struct BPETokenizer: Tokenizer, @unchecked Sendable {
    /// An added token: matched in the text before pre-tokenisation; `special` ones are the
    /// control tokens (`skipSpecialTokens` drops them when decoding).
    public struct AddedToken: Sendable, Equatable {
        public let content: String
        public let id: Int
        public let special: Bool
        public init(content: String, id: Int, special: Bool) { self.content = content; self.id = id; self.special = special }
    }

    /// Token strings by id (in the byte-level alphabet; added tokens as written).
    public let vocabulary: [String]
    private let ids: [String: Int]
    /// Merge pairs (left id << 32 | right id) to (rank, merged id).
    let merges: [UInt64: (rank: Int32, id: Int32)]
    /// The id of each byte's one-character token (-1 when the vocabulary lacks it).
    private let byteIDs: [Int32]
    public let preTokenizer: BPEPreTokenizer
    /// Normalise to NFC before pre-tokenisation (Qwen2's tokenizer.json asks for it).
    public let nfc: Bool
    /// A piece that is a whole token is that token, whatever the merges would make of it
    /// (tokenizer.json's `ignore_merges`, set by Llama 3).
    public let ignoreMerges: Bool
    public let addedTokens: [AddedToken]
    /// Added tokens by their first scalar, longest first.
    private let addedByFirst: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]]
    /// Which ASCII characters start an added token, and whether a non-ASCII one does: most
    /// characters of a text are then rejected without a dictionary look-up.
    private let addedStartsASCII: [Bool]
    private let addedStartsNonASCII: Bool
    private let specialIDs: Set<Int>
    public let bosID: Int?
    public let eosID: Int?
    let padIDValue: Int?
    let unkIDValue: Int?
    /// Where the tokenizer came from (for errors and display).
    public let source: String
    /// The model's Jinja chat template (GGUF `tokenizer.chat_template`, tokenizer_config.json
    /// `chat_template`), when the file has one; `ChatMLTemplate(chatTemplate:)` reads ChatML ones.
    public var chatTemplate: String?
    private let cache = PieceCache()

    public var vocabularySize: Int { vocabulary.count }
    public var padID: Int { padIDValue ?? eosID ?? 0 }
    public var unkID: Int { unkIDValue ?? padID }
    /// `<|im_start|>` when the vocabulary has it, else the beginning-of-sequence token.
    public var imStartID: Int { ids["<|im_start|>"] ?? bosID ?? 0 }
    /// `<|im_end|>` when the vocabulary has it, else the end-of-sequence token.
    public var imEndID: Int { ids["<|im_end|>"] ?? eosID ?? 0 }
    public var plusID: Int { ids["+"] ?? unkID }
    public var minusID: Int { ids["-"] ?? unkID }

    /// A tokenizer from its parts. `merges` are pairs of token strings, best first. Errors name
    /// `source` and the offending entry.
    public init(vocabulary: [String], merges: [(String, String)], preTokenizer: BPEPreTokenizer, nfc: Bool = false,
                ignoreMerges: Bool = false, addedTokens: [AddedToken], bosID: Int? = nil, eosID: Int? = nil, padID: Int? = nil, unkID: Int? = nil,
                source: String) throws {
        func bad(_ why: String) -> DatasetError { DatasetError(file: source, problem: .invalid(why)) }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, t) in vocabulary.enumerated() {
            // Some vocabularies hold a string twice (unused slots); the first id wins, as in llama.cpp.
            if ids[t] == nil { ids[t] = i }
        }
        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = ids[a], let ib = ids[b] else {
                throw bad("merge \(rank) '\(a) \(b)': \(ids[a] == nil ? a : b) is not in the vocabulary")
            }
            guard let merged = ids[a + b] else { throw bad("merge \(rank) '\(a) \(b)': the merged token '\(a + b)' is not in the vocabulary") }
            let key = UInt64(ia) << 32 | UInt64(ib)
            if table[key] == nil { table[key] = (Int32(rank), Int32(merged)) }
        }
        for (name, id) in [("bos", bosID), ("eos", eosID), ("pad", padID), ("unk", unkID)] {
            if let id, !(0..<vocabulary.count).contains(id) { throw bad("\(name) token id \(id) is outside the vocabulary (\(vocabulary.count) tokens)") }
        }
        var byFirst: [Unicode.Scalar: [(scalars: [Unicode.Scalar], id: Int)]] = [:]
        for t in addedTokens {
            guard (0..<vocabulary.count).contains(t.id) else { throw bad("added token '\(t.content)' has id \(t.id), outside the vocabulary (\(vocabulary.count) tokens)") }
            let scalars = Array(t.content.unicodeScalars)
            guard let first = scalars.first else { throw bad("added token \(t.id) is empty") }
            byFirst[first, default: []].append((scalars, t.id))
        }
        for k in byFirst.keys { byFirst[k]!.sort { $0.scalars.count > $1.scalars.count } }
        self.vocabulary = vocabulary
        self.ids = ids
        self.merges = table
        self.byteIDs = ByteLevelAlphabet.characters.map { c in ids[String(c)].map(Int32.init) ?? -1 }
        self.preTokenizer = preTokenizer
        self.nfc = nfc
        self.ignoreMerges = ignoreMerges
        self.addedTokens = addedTokens
        self.addedByFirst = byFirst
        self.addedStartsASCII = (0..<128).map { byFirst[Unicode.Scalar(UInt8($0))] != nil }
        self.addedStartsNonASCII = byFirst.keys.contains { $0.value >= 128 }
        self.specialIDs = Set(addedTokens.filter(\.special).map(\.id))
        self.bosID = bosID
        self.eosID = eosID
        self.padIDValue = padID
        self.unkIDValue = unkID
        self.source = source
    }

    /// The id of a token string, if the vocabulary has it.
    public func id(of token: String) -> Int? { ids[token] }

    /// The token string of an id (`<unk>`-like fallback: nil outside the vocabulary).
    public func token(of id: Int) -> String? { (0..<vocabulary.count).contains(id) ? vocabulary[id] : nil }

    // MARK: Encoding

    /// The ids of `text`; added tokens written in the text become their ids; nothing is added
    /// around it.
    public func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { encode(utf8: $0) }
    }

    /// `encode` with the beginning-of-sequence id in front (when the tokenizer has one).
    public func encode(_ text: String, addBOS: Bool) -> [Int] {
        (addBOS ? bosID.map { [$0] } ?? [] : []) + encode(text)
    }

    /// A text's scalars, their classes and the byte offset of each (plus the end), in one pass
    /// over valid UTF-8 (a Swift string's bytes).
    private struct Decoded {
        var scalars: [Unicode.Scalar] = []
        var classes: [ScalarClass] = []
        var starts: [Int] = []

        init(_ utf8: UnsafeBufferPointer<UInt8>) {
            scalars.reserveCapacity(utf8.count)
            classes.reserveCapacity(utf8.count)
            starts.reserveCapacity(utf8.count + 1)
            var at = 0
            while at < utf8.count {
                let b0 = UInt32(utf8[at])
                var value = b0, length = 1
                if b0 >= 0xF0 { value = b0 & 0x07; length = 4 } else if b0 >= 0xE0 { value = b0 & 0x0F; length = 3 } else if b0 >= 0xC0 { value = b0 & 0x1F; length = 2 }
                var k = 1
                while k < length { value = value << 6 | (UInt32(utf8[at + k]) & 0x3F); k += 1 }
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                scalars.append(scalar)
                classes.append(ScalarClass.of(scalar))
                starts.append(at)
                at += length
            }
            starts.append(utf8.count)
        }
    }

    /// Cuts out the added tokens, then encodes the segments between them.
    private func encode(utf8: UnsafeBufferPointer<UInt8>) -> [Int] {
        let d = Decoded(utf8)
        var out: [Int] = []
        out.reserveCapacity(utf8.count / 3)
        cache.lock.lock()
        defer { cache.lock.unlock() }
        var segmentStart = 0
        var i = 0
        let scalars = d.scalars
        if !addedByFirst.isEmpty {
            while i < scalars.count {
                let v = scalars[i].value
                if v < 128 ? !addedStartsASCII[Int(v)] : !addedStartsNonASCII {
                    i += 1
                    continue
                }
                if let candidates = addedByFirst[scalars[i]],
                   let match = candidates.first(where: { c in
                       i + c.scalars.count <= scalars.count && scalars[i..<(i + c.scalars.count)].elementsEqual(c.scalars)
                   }) {
                    encodeSegment(utf8, d, segmentStart..<i, into: &out)
                    out.append(match.id)
                    i += match.scalars.count
                    segmentStart = i
                } else {
                    i += 1
                }
            }
        }
        encodeSegment(utf8, d, segmentStart..<scalars.count, into: &out)
        return out
    }

    /// Encodes the text between two added tokens (the cache's lock is held).
    private func encodeSegment(_ utf8: UnsafeBufferPointer<UInt8>, _ d: Decoded, _ range: Range<Int>, into out: inout [Int]) {
        guard !range.isEmpty else { return }
        if nfc || preTokenizer.addPrefixSpace {
            // The rarer paths work on a copy of the segment: normalised, or with a space in front.
            var view = String.UnicodeScalarView()
            view.append(contentsOf: d.scalars[range])
            var text = String(view)
            if nfc { text = text.precomposedStringWithCanonicalMapping }
            if preTokenizer.addPrefixSpace, !text.hasPrefix(" ") { text = " " + text }
            text.withUTF8 { u in
                let copy = Decoded(u)
                encodePieces(u, copy, 0..<copy.scalars.count, into: &out)
            }
        } else {
            encodePieces(utf8, d, range, into: &out)
        }
    }

    /// Pre-tokenises `range` and appends each piece's ids: a one-byte piece is its byte's token;
    /// a longer one comes from the cache or is merged (and cached).
    private func encodePieces(_ utf8: UnsafeBufferPointer<UInt8>, _ d: Decoded, _ range: Range<Int>, into out: inout [Int]) {
        for r in preTokenizer.pieces(d.scalars, classes: d.classes, in: range) {
            let from = d.starts[r.lowerBound], to = d.starts[r.upperBound]
            let bytes = UnsafeBufferPointer(rebasing: utf8[from..<to])
            if bytes.count == 1 {
                let id = byteIDs[Int(bytes[0])]
                if id >= 0 { out.append(Int(id)) }
                continue
            }
            if cache.append(bytes, to: &out) { continue }
            let ids: [Int]
            if ignoreMerges, let whole = self.ids[ByteLevelAlphabet.encode(bytes)] { ids = [whole] } else { ids = bpe(Array(bytes)) }
            cache.insert(bytes, ids)
            out += ids
        }
    }

    /// Pieces up to this many symbols merge by rescanning (fast for the short pieces of text);
    /// longer ones (a run of spaces, a long number in a vocabulary without digit splitting) use a
    /// heap, so a hostile input of 10^5 spaces costs n log n, not n^2.
    static let rescanLimit = 48

    /// Merges one piece's bytes.
    func bpe(_ bytes: [UInt8]) -> [Int] {
        // Bytes without a token are dropped, as Hugging Face's BPE does without an unk token
        // (byte-level vocabularies have all 256).
        let symbols = bytes.compactMap { b -> Int32? in let id = byteIDs[Int(b)]; return id >= 0 ? id : nil }
        return symbols.count <= BPETokenizer.rescanLimit ? mergeByRescanning(symbols) : mergeWithHeap(symbols)
    }

    @inline(__always)
    func merge(_ a: Int32, _ b: Int32) -> (rank: Int32, id: Int32)? {
        merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))]
    }

    /// Repeatedly merges the pair of lowest rank, leftmost first.
    func mergeByRescanning(_ input: [Int32]) -> [Int] {
        var symbols = input
        while symbols.count > 1 {
            var best: (rank: Int32, id: Int32) = (.max, 0)
            var at = -1
            for k in 0..<(symbols.count - 1) {
                if let m = merge(symbols[k], symbols[k + 1]), m.rank < best.rank {
                    best = m
                    at = k
                }
            }
            if at < 0 { break }
            symbols[at] = best.id
            symbols.remove(at: at + 1)
        }
        return symbols.map(Int.init)
    }

    /// The same merges in the same order with a min-heap of candidate pairs keyed by (rank,
    /// position of the left symbol) over a linked list of symbols, as Hugging Face's BPE does.
    /// A popped pair is used only if it still holds (both symbols alive, adjacent, and still the
    /// pair of that rank: ranks are unique per pair, so the rank identifies it).
    func mergeWithHeap(_ input: [Int32]) -> [Int] {
        let n = input.count
        var id = input
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var prev = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        for k in 0..<(n - 1) {
            if let m = merge(id[k], id[k + 1]) { heap.push(UInt64(UInt32(m.rank)) << 32 | UInt64(k)) }
        }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32), k = Int(top & 0xFFFF_FFFF)
            let right = next[k]
            guard alive[k], right >= 0, let m = merge(id[k], id[right]), m.rank == rank else { continue }
            id[k] = m.id
            alive[right] = false
            next[k] = next[right]
            if next[right] >= 0 { prev[next[right]] = k }
            if prev[k] >= 0, let p = merge(id[prev[k]], id[k]) { heap.push(UInt64(UInt32(p.rank)) << 32 | UInt64(prev[k])) }
            if next[k] >= 0, let p = merge(id[k], id[next[k]]) { heap.push(UInt64(UInt32(p.rank)) << 32 | UInt64(k)) }
        }
        var out: [Int] = []
        var k = 0
        while k >= 0 { out.append(Int(id[k])); k = next[k] }
        return out
    }

    // MARK: Decoding

    /// The text of `ids` (added tokens as written; ids outside the vocabulary are skipped).
    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecialTokens: false) }

    /// The text of `ids`, without the special tokens when `skipSpecialTokens`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids where (0..<vocabulary.count).contains(id) {
            if skipSpecialTokens, specialIDs.contains(id) { continue }
            ByteLevelAlphabet.appendBytes(of: vocabulary[id], to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A binary min-heap of UInt64 keys.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ x: UInt64) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// Ids of pre-tokenised pieces already merged, keyed by the piece's bytes, shared by copies of
/// a tokenizer. Callers hold `lock` around their use (one `encode` call locks once).
///
/// Keys are looked up by a 64-bit FNV-1a hash of the bytes, and the stored bytes are compared
/// on a hit; of two pieces with the same hash (which the comparison catches) only the first is
/// cached, and the second is simply merged again each time.
final class PieceCache: @unchecked Sendable {
    let lock = NSLock()
    /// Open addressing with linear probing over a power-of-two table: the key hash (0 marks an
    /// empty slot) and the entry index. The FNV hash is already mixed, so no second hash (and no
    /// SipHash, which `Dictionary` would spend on every look-up).
    private var slotHashes = [UInt64](repeating: 0, count: 1 << 12)
    private var slotEntries = [Int32](repeating: 0, count: 1 << 12)
    private var keyBytes: [UInt8] = []
    private var keyRanges: [Range<Int>] = []
    private var idStore: [Int] = []
    private var idRanges: [Range<Int>] = []
    /// Bytes of keys kept at most; the cache starts over when full (a corpus's distinct pieces
    /// take far less, so this only bounds memory for endless streams of new text).
    static let capacity = 1 << 24

    /// The slot of `h`: where it is, or the empty slot where it would go.
    @inline(__always)
    private func slot(of h: UInt64) -> Int {
        let mask = slotHashes.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slotHashes[i] != 0 && slotHashes[i] != h { i = (i + 1) & mask }
        return i
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let p = bytes.baseAddress!
        var i = 0
        while i < bytes.count { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3; i += 1 }
        return h
    }

    /// Appends the cached ids of `bytes` to `out`; false when they are not cached.
    func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [Int]) -> Bool {
        let i = slot(of: PieceCache.hash(bytes))
        guard slotHashes[i] != 0 else { return false }
        let entry = Int(slotEntries[i])
        let key = keyRanges[entry]
        guard key.count == bytes.count,
              keyBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + key.lowerBound, bytes.baseAddress!, bytes.count) == 0 }) else { return false }
        out.append(contentsOf: idStore[idRanges[entry]])
        return true
    }

    func insert(_ bytes: UnsafeBufferPointer<UInt8>, _ ids: [Int]) {
        if keyBytes.count + bytes.count > PieceCache.capacity {
            for k in slotHashes.indices { slotHashes[k] = 0 }
            keyBytes.removeAll(keepingCapacity: true)
            keyRanges.removeAll(keepingCapacity: true)
            idStore.removeAll(keepingCapacity: true)
            idRanges.removeAll(keepingCapacity: true)
        }
        // At most half full, so probes stay short.
        if 2 * (keyRanges.count + 1) > slotHashes.count { grow() }
        let h = PieceCache.hash(bytes)
        let i = slot(of: h)
        guard slotHashes[i] == 0 else { return }
        slotHashes[i] = h
        slotEntries[i] = Int32(keyRanges.count)
        keyRanges.append(keyBytes.count..<(keyBytes.count + bytes.count))
        keyBytes.append(contentsOf: bytes)
        idRanges.append(idStore.count..<(idStore.count + ids.count))
        idStore.append(contentsOf: ids)
    }

    private func grow() {
        let oldHashes = slotHashes, oldEntries = slotEntries
        slotHashes = [UInt64](repeating: 0, count: oldHashes.count * 2)
        slotEntries = [Int32](repeating: 0, count: oldHashes.count * 2)
        for k in oldHashes.indices where oldHashes[k] != 0 {
            let i = slot(of: oldHashes[k])
            slotHashes[i] = oldHashes[k]
            slotEntries[i] = oldEntries[k]
        }
    }
}
