import Lang
import Datasets

/// A loaded dataset in the language: training instances (step labels), meta instances
/// (whole-solution labels) or candidate sets (best-of-N test questions).
public final class DatasetValue: TabledObject {
    /// What the dataset holds.
    public enum Content {
        case train([PRMInstance])
        case meta([MetaInstance])
        case candidates([CandidateSet])
    }

    public let content: Content
    /// Records skipped as invalid while reading (with `skip_invalid: true`).
    public let skipped: [String]
    /// Where it came from (a path, or `benchmark`).
    public let source: String

    public init(_ content: Content, source: String, skipped: [String] = []) {
        self.content = content
        self.source = source
        self.skipped = skipped
    }

    public var typeName: String { "dataset" }

    /// `train`, `meta` or `candidates`.
    public var kind: String {
        switch content {
        case .train: return "train"
        case .meta: return "meta"
        case .candidates: return "candidates"
        }
    }

    public var length: Int? {
        switch content {
        case .train(let x): return x.count
        case .meta(let x): return x.count
        case .candidates(let x): return x.count
        }
    }

    var domains: [String?] {
        switch content {
        case .train(let x): return x.map(\.domain)
        case .meta(let x): return x.map(\.domain)
        case .candidates(let x): return x.map(\.domain)
        }
    }

    /// All texts (system prompts, questions, steps, candidates), for building a tokenizer.
    var texts: [String] {
        switch content {
        case .train(let x): return x.flatMap { [$0.systemPrompt, $0.question] + $0.steps }
        case .meta(let x): return x.flatMap { [$0.systemPrompt, $0.question] + $0.steps }
        case .candidates(let x): return x.flatMap { [$0.systemPrompt, $0.question] + $0.candidateSteps.flatMap { $0 } }
        }
    }

    public var summary: String {
        let domainCount = Set(domains.compactMap { $0 }).count
        return "dataset \(kind): \(length ?? 0) records" + (domainCount > 0 ? ", \(domainCount) domains" : "")
            + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")
    }

    /// Record `i` as a dict (with an `image` key when the record names a picture).
    func record(_ i: Int) -> Value {
        let value = plainRecord(i)
        guard case .dict(let d) = value, let image = images[i] else { return value }
        return .dict(DictRef(d.pairs + [("image", .string(image))]))
    }

    /// Each record's image path (nil when it has none).
    var images: [String?] {
        switch content {
        case .train(let x): return x.map(\.image)
        case .meta(let x): return x.map(\.image)
        case .candidates(let x): return x.map(\.image)
        }
    }

    private func plainRecord(_ i: Int) -> Value {
        switch content {
        case .train(let x):
            let r = x[i]
            return Convert.dict([("id", .string(r.id)), ("domain", r.domain.map { .string($0) } ?? .nil),
                                 ("question", .string(r.question)), ("steps", Convert.strings(r.steps)),
                                 ("labels", Convert.numbers(r.labels)),
                                 ("metadata", .dict(DictRef(r.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSON.value($0.value)) })))])
        case .meta(let x):
            let r = x[i]
            return Convert.dict([("id", .string(r.id)), ("domain", r.domain.map { .string($0) } ?? .nil),
                                 ("question", .string(r.question)), ("steps", Convert.strings(r.steps)), ("label", .bool(r.label))])
        case .candidates(let x):
            let r = x[i]
            return Convert.dict([("id", .string(r.id)), ("question", .string(r.question)),
                                 ("candidates", Convert.strings(r.candidates)),
                                 ("steps", .list(r.candidateSteps.map { Convert.strings($0) })),
                                 ("correct", .list(r.correct.map { .bool($0) })),
                                 ("answers", .list(r.finalAnswers.map { $0.map { .string($0) } ?? .nil }))])
        }
    }

    public func index(_ items: [IndexItem]) throws -> Value {
        guard items.count == 1, case .value(.number(let x)) = items[0], x == x.rounded() else {
            throw DprmError.type("a dataset is indexed by one whole number")
        }
        let n = length ?? 0
        let i = Int(x) < 0 ? Int(x) + n : Int(x)
        guard i >= 0 && i < n else { throw DprmError.runtime("index \(Int(x)) out of range for a dataset of \(n) records") }
        return record(i)
    }

    public func makeIterator() throws -> (() throws -> Value?)? {
        var i = 0
        let n = length ?? 0
        return { [self] in
            guard i < n else { return nil }
            defer { i += 1 }
            return record(i)
        }
    }

    /// A dataset of the records at `indices`.
    func subset(_ indices: [Int]) -> DatasetValue {
        switch content {
        case .train(let x): return DatasetValue(.train(indices.map { x[$0] }), source: source)
        case .meta(let x): return DatasetValue(.meta(indices.map { x[$0] }), source: source)
        case .candidates(let x): return DatasetValue(.candidates(indices.map { x[$0] }), source: source)
        }
    }

    public static let members = MemberTable<DatasetValue>([
        .field("kind", "train, meta or candidates") { .string($0.kind) },
        .field("source", "the file it was read from") { .string($0.source) },
        .field("skipped", "messages of records skipped as invalid") { Convert.strings($0.skipped) },
        .method("domains", parameters: [], "the distinct domains, sorted") { d, _ in Convert.strings(Array(Set(d.domains.compactMap { $0 })).sorted()) },
        .method("take", parameters: [.positional("n", "whole number", "how many records")], "the first n records as a new dataset") { d, args in
            let n = try args.int(0, "n")
            return .native(d.subset(Array(0..<max(0, min(n, d.length ?? 0)))))
        },
        .method("slice", parameters: [.positional("start", "whole number", "the first record (included)"), .positional("end", "whole number", shown: "the length", "the end (not included)")], "records start..<end as a new dataset") { d, args in
            let count = d.length ?? 0
            let start = max(0, min(try args.int(0, "start"), count)), end = max(start, min(try args.int(1, "end", default: count), count))
            return .native(d.subset(Array(start..<end)))
        },
        .method("filter", parameters: [.positional("f", "function", "called with each record; records where it is truthy are kept")], "the records for which f(record) is truthy, as a new dataset") { d, args in
            let f = try args.function(0, "f"), interp = args.interpreter
            return .native(d.subset(try (0..<(d.length ?? 0)).filter { try interp.call(f, [d.record($0)]).isTruthy }))
        },
        .method("as_meta", parameters: [], "a training dataset as a meta set: whole-solution labels only (correct when every step is +), placeholder + turns") { d, _ in
            guard case .train(let x) = d.content else {
                throw DprmError.type("as_meta() needs a training dataset, got a \(d.kind) dataset")
            }
            // The step labels are dropped, so nothing downstream can read more than the reference's
            // meta files give (loss_target "steps" then refuses the set, naming an instance).
            let meta = x.map { r -> MetaInstance in var m = MetaInstance(stepLabelled: r); m.stepLabels = nil; return m }
            return .native(DatasetValue(.meta(meta), source: d.source, skipped: d.skipped))
        },
        .method("filter_domain", parameters: [.positional("domain", "string", "the domain kept")], "the records of one domain as a new dataset") { d, args in
            let name = try args.string(0, "domain")
            return .native(d.subset(d.domains.indices.filter { d.domains[$0] == name }))
        },
    ])

}
