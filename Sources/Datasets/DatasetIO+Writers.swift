import Foundation
import Support

extension DatasetIO {
    /// The gpt turn for a label: "+" for 1, "-" for 0, the number as text for a soft label.
    public static func labelText(_ label: Float) -> String {
        if label == 1 { return "+" }
        if label == 0 { return "-" }
        return JSONValue.format(Double(label))
    }

    static func conversation(system: String, question: String, steps: [String], labels: [String]) -> JSONValue {
        var turns: [JSONValue] = [
            .object([("from", .string("system")), ("value", .string(system))]),
            .object([("from", .string("human")), ("value", .string(question))]),
        ]
        for (step, label) in zip(steps, labels) {
            turns.append(.object([("from", .string("human")), ("value", .string(step))]))
            turns.append(.object([("from", .string("gpt")), ("value", .string(label))]))
        }
        return .array(turns)
    }

    static func sortedMetadata(_ metadata: [String: JSONValue], excluding: Set<String>) -> [(key: String, value: JSONValue)] {
        metadata.keys.sorted().filter { !excluding.contains($0) }.map { ($0, metadata[$0]!) }
    }

    /// The JSON record of a training instance in the DreamPRM-1.5 format (domain as `dataset`).
    public static func record(_ i: PRMInstance) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("id", .string(i.id))]
        if let image = i.image { pairs.append(("image", .string(image))) }
        if let domain = i.domain { pairs.append(("dataset", .string(domain))) }
        pairs.append(("conversations", conversation(system: i.systemPrompt, question: i.question, steps: i.steps,
                                                    labels: i.labels.map(labelText))))
        pairs += sortedMetadata(i.metadata, excluding: ["id", "image", "dataset", "domain", "conversations"])
        return .object(pairs)
    }

    /// The JSON record of a meta instance in the DreamPRM-1.5 meta format (gpt turns all `+`).
    public static func record(_ m: MetaInstance) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [("id", .string(m.id)), ("true_false", .bool(m.label))]
        if let image = m.image { pairs.append(("image", .string(image))) }
        if let domain = m.domain { pairs.append(("dataset", .string(domain))) }
        pairs.append(("conversations", conversation(system: m.systemPrompt, question: m.question, steps: m.steps,
                                                    labels: Array(repeating: "+", count: m.steps.count))))
        pairs += sortedMetadata(m.metadata, excluding: ["id", "image", "dataset", "domain", "conversations", "true_false"])
        return .object(pairs)
    }

    /// The JSON record of a candidate set in the test format, with `candidate_steps` and
    /// `final_answers` so a round trip keeps them exactly.
    public static func record(_ c: CandidateSet) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = [
            ("id", .string(c.id)),
            ("question", .string(c.question)),
            ("image_path", c.image.map { .string($0) } ?? .null),
            ("candidates", .array(c.candidates.map { .string($0) })),
            ("true_false", .array(c.correct.map { .bool($0) })),
            ("final_answers", .array(c.finalAnswers.map { $0.map { .string($0) } ?? .null })),
            ("candidate_steps", .array(c.candidateSteps.map { .array($0.map { .string($0) }) })),
        ]
        if let domain = c.domain { pairs.append(("dataset", .string(domain))) }
        pairs += sortedMetadata(c.metadata, excluding: Set(pairs.map(\.key)))
        return .object(pairs)
    }

    /// Writes training instances as a DreamPRM-1.5 train file (JSON list), atomically.
    public static func writeTrain(_ instances: [PRMInstance], to path: String) throws {
        try writeAtomically(.array(instances.map(record)), to: path)
    }

    /// Writes meta instances as a DreamPRM-1.5 meta file (JSON list), atomically.
    public static func writeMeta(_ instances: [MetaInstance], to path: String) throws {
        try writeAtomically(.array(instances.map(record)), to: path)
    }

    /// Writes candidate sets as a test file (JSON list), atomically.
    public static func writeCandidates(_ sets: [CandidateSet], to path: String) throws {
        try writeAtomically(.array(sets.map(record)), to: path)
    }

    /// Writes `value` as pretty JSON (two-space indent, final newline) through `AtomicFile`,
    /// so a reader never sees a half-written file.
    public static func writeAtomically(_ value: JSONValue, to path: String) throws {
        try AtomicFile.write(value.serialized(pretty: true) + "\n", to: path)
    }
}
