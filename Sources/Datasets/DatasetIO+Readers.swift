import Foundation
import Support

/// Readers and writers for the data formats dprm understands. Every reader throws a
/// `DatasetError` naming the file, the 0-based record index and the problem, or with
/// `ReadOptions(skipInvalid: true)` skips bad records and reports them in the result.
public enum DatasetIO {
    // MARK: DreamPRM-1.5 conversation format

    /// The parts of a DreamPRM-1.5 conversation.
    struct Conversation {
        var systemPrompt: String
        var question: String
        var steps: [String]
        var labels: [Float]
    }

    /// Parses a gpt turn: "+" is 1, "-" is 0, a number in [0, 1] is a soft label.
    static func parseLabel(_ v: JSONValue, turn: Int, ctx: RecordContext) throws -> Float {
        switch v {
        case .string(let s):
            let t = s.trimmed
            if t == "+" { return 1 }
            if t == "-" { return 0 }
            if let x = Double(t), x >= 0, x <= 1 { return Float(x) }
            throw ctx.fail(.badLabel("'\(s)' in turn \(turn)"))
        case .number(let x) where x >= 0 && x <= 1:
            return Float(x)
        default:
            throw ctx.fail(.badLabel("\(v) in turn \(turn)"))
        }
    }

    /// system (optional; the default prompt when absent) / human question / (human step, gpt label)*.
    static func parseConversation(_ record: JSONValue, ctx: RecordContext) throws -> Conversation {
        let turns = try ctx.array(record, "conversations")
        var parsed: [(from: String, value: JSONValue)] = []
        for (t, turn) in turns.enumerated() {
            guard case .object = turn else {
                throw ctx.fail(.wrongType(key: "conversations[\(t)]", expected: "an object", found: turn.typeName))
            }
            guard let fromValue = turn["from"] else { throw ctx.fail(.missingKey("conversations[\(t)].from")) }
            guard let from = fromValue.stringValue else {
                throw ctx.fail(.wrongType(key: "conversations[\(t)].from", expected: "a string", found: fromValue.typeName))
            }
            guard let value = turn["value"] else { throw ctx.fail(.missingKey("conversations[\(t)].value")) }
            if from != "gpt", value.stringValue == nil {
                throw ctx.fail(.wrongType(key: "conversations[\(t)].value", expected: "a string", found: value.typeName))
            }
            guard ["system", "human", "gpt"].contains(from) else {
                throw ctx.fail(.badConversation("turn \(t) is from '\(from)' (expected system, human or gpt)"))
            }
            parsed.append((from, value))
        }
        var t = 0
        var system = Datasets.defaultSystemPrompt
        if t < parsed.count, parsed[t].from == "system" { system = parsed[t].value.stringValue!; t += 1 }
        guard t < parsed.count, parsed[t].from == "human" else {
            throw ctx.fail(.badConversation(t < parsed.count
                ? "turn \(t) should be the human question, found \(parsed[t].from)"
                : "no human question turn"))
        }
        let question = parsed[t].value.stringValue!
        t += 1
        var steps: [String] = []
        var labels: [Float] = []
        while t < parsed.count {
            guard parsed[t].from == "human" else {
                throw ctx.fail(.badConversation("turn \(t) should be a human step, found \(parsed[t].from)"))
            }
            guard t + 1 < parsed.count else {
                throw ctx.fail(.badConversation("turn \(t) is a step with no gpt label after it"))
            }
            guard parsed[t + 1].from == "gpt" else {
                throw ctx.fail(.badConversation("turn \(t + 1) should be the gpt label of the step in turn \(t), found \(parsed[t + 1].from)"))
            }
            steps.append(parsed[t].value.stringValue!)
            labels.append(try parseLabel(parsed[t + 1].value, turn: t + 1, ctx: ctx))
            t += 2
        }
        if steps.isEmpty { throw ctx.fail(.emptySteps) }
        return Conversation(systemPrompt: system, question: question, steps: steps, labels: labels)
    }

    static func domain(_ record: JSONValue, ctx: RecordContext) throws -> String? {
        try ctx.optionalString(record, "dataset") ?? ctx.optionalString(record, "domain")
    }

    /// Reads the DreamPRM-1.5 training format: a JSON list (or `.jsonl`) of
    /// `{id, conversations: [{from, value}], image?, dataset?}`. gpt turns are `+`, `-` or a
    /// number in [0, 1] (soft label, as a string or a JSON number). A missing `id` becomes the
    /// record index. `dataset` (or `domain`) becomes `domain`; other keys go to `metadata`.
    public static func readTrain(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<PRMInstance> {
        try FileLoading.records(path, options: options) { record, ctx in
            let conv = try parseConversation(record, ctx: ctx)
            let id = try ctx.optionalID(record) ?? String(ctx.index)
            return [PRMInstance(id: id, domain: try domain(record, ctx: ctx), systemPrompt: conv.systemPrompt,
                                question: conv.question, steps: conv.steps, labels: conv.labels,
                                image: try ctx.optionalString(record, "image"),
                                metadata: ctx.extras(record, known: ["id", "conversations", "image", "dataset", "domain"]))]
        }
    }

    /// Reads the DreamPRM-1.5 meta format: the training format plus a whole-solution label
    /// `true_false` (bool); the gpt turns (all `+` in the reference) are checked but not used.
    public static func readMeta(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<MetaInstance> {
        try FileLoading.records(path, options: options) { record, ctx in
            let conv = try parseConversation(record, ctx: ctx)
            let label = try ctx.bool(record, "true_false")
            let id = try ctx.optionalID(record) ?? String(ctx.index)
            return [MetaInstance(id: id, systemPrompt: conv.systemPrompt, question: conv.question, steps: conv.steps,
                                 label: label, domain: try domain(record, ctx: ctx),
                                 image: try ctx.optionalString(record, "image"),
                                 metadata: ctx.extras(record, known: ["id", "conversations", "image", "dataset", "domain", "true_false"]))]
        }
    }

    /// Reads the DreamPRM-1.5 test format: one record per question,
    /// `{question, image_path, candidates: [text], true_false: [bool]}`, with optional `id`,
    /// `final_answers` (list of string or null), `candidate_steps` (list of lists of strings;
    /// otherwise each candidate is split with `StepSplitter`) and `dataset`.
    public static func readCandidates(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<CandidateSet> {
        try FileLoading.records(path, options: options) { record, ctx in
            let question = try ctx.string(record, "question")
            let candidates = try ctx.stringArray(record, "candidates")
            let correct = try ctx.boolArray(record, "true_false")
            if candidates.isEmpty { throw ctx.fail(.invalid("'candidates' is empty")) }
            if candidates.count != correct.count {
                throw ctx.fail(.invalid("'candidates' has \(candidates.count) entries but 'true_false' has \(correct.count)"))
            }
            var steps: [[String]]? = nil
            if record["candidate_steps"] != nil {
                let lists = try ctx.array(record, "candidate_steps")
                guard lists.count == candidates.count else {
                    throw ctx.fail(.invalid("'candidate_steps' has \(lists.count) entries but 'candidates' has \(candidates.count)"))
                }
                steps = try lists.enumerated().map { i, v in
                    guard let a = v.arrayValue else {
                        throw ctx.fail(.wrongType(key: "candidate_steps[\(i)]", expected: "a list", found: v.typeName))
                    }
                    return try a.enumerated().map { j, s in
                        guard let str = s.stringValue else {
                            throw ctx.fail(.wrongType(key: "candidate_steps[\(i)][\(j)]", expected: "a string", found: s.typeName))
                        }
                        return str
                    }
                }
            }
            let split = steps ?? candidates.map { StepSplitter.split($0) }
            if let empty = split.firstIndex(where: { $0.isEmpty }) {
                throw ctx.fail(.invalid("empty steps: candidate \(empty) has no step"))
            }
            var answers: [String?]? = nil
            if record["final_answers"] != nil {
                let a = try ctx.array(record, "final_answers")
                guard a.count == candidates.count else {
                    throw ctx.fail(.invalid("'final_answers' has \(a.count) entries but 'candidates' has \(candidates.count)"))
                }
                answers = try a.enumerated().map { i, v in
                    if v == .null { return nil }
                    guard let s = v.stringValue else {
                        throw ctx.fail(.wrongType(key: "final_answers[\(i)]", expected: "a string or null", found: v.typeName))
                    }
                    return s
                }
            }
            let id = try ctx.optionalID(record) ?? String(ctx.index)
            return [CandidateSet(id: id, question: question, image: try ctx.optionalString(record, "image_path"),
                                 candidates: candidates, candidateSteps: split, correct: correct, finalAnswers: answers,
                                 domain: try domain(record, ctx: ctx),
                                 metadata: ctx.extras(record, known: ["id", "question", "image_path", "candidates", "true_false",
                                                                      "candidate_steps", "final_answers", "dataset", "domain"]))]
        }
    }

    // MARK: DreamPRM v1

    /// Splits a DreamPRM v1 `input` into the question and the solution text. The question ends
    /// with the first line starting "Options:" when there is one, else before the first line with
    /// a step marker, else at the first blank line.
    public static func splitV1Input(_ input: String) -> (question: String, solution: String) {
        let lines = input.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var end: Int? = nil  // first line of the solution
        if let o = lines.firstIndex(where: { $0.hasPrefix("Options:") }) {
            end = o + 1
        } else if let s = lines.firstIndex(where: { StepSplitter.lineMarker($0) == .step }) {
            end = s
        } else if let b = lines.firstIndex(where: { $0.trimmed.isEmpty }) {
            end = b
        }
        guard let end else { return (input.trimmed, "") }
        return (lines[..<end].joined(separator: "\n").trimmed, lines[end...].joined(separator: "\n").trimmed)
    }

    /// Reads the DreamPRM (v1) meta format: a JSON list of `{id, true_false, input, image_path}`
    /// where `input` holds the question and a solution with "Step N:" markers and "Final answer:".
    /// The solution is split with `StepSplitter`. A record whose input has no solution after the
    /// question is an "empty steps" error (372 of the 500 records of the shipped file are such;
    /// read it with `skipInvalid` to keep the other 128).
    public static func readMetaV1(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<MetaInstance> {
        try FileLoading.records(path, options: options) { record, ctx in
            let input = try ctx.string(record, "input")
            let label = try ctx.bool(record, "true_false")
            let (question, solution) = splitV1Input(input)
            let steps = StepSplitter.split(solution)
            if steps.isEmpty { throw ctx.fail(.emptySteps) }
            let id = try ctx.optionalID(record) ?? String(ctx.index)
            return [MetaInstance(id: id, question: question, steps: steps, label: label,
                                 domain: try domain(record, ctx: ctx), image: try ctx.optionalString(record, "image_path"),
                                 metadata: ctx.extras(record, known: ["id", "input", "true_false", "image_path", "dataset", "domain"]))]
        }
    }

    // MARK: PRMBench and BIG-Bench-Mistake

    /// Reads a PRMBench JSONL file. Each record gives two instances: `<idx>/original`
    /// (`original_process`, all `+`) and `<idx>/modified` (`modified_process`, `+` before the first
    /// of the 1-based `error_steps`, `-` from it on; all `+` when `error_steps` is empty).
    /// `domain` is `classification`; the question is `original_question` / `modified_question`
    /// (falling back to `question`). Entries of `error_steps` past the last step are ignored;
    /// a record whose entries all lie past it is invalid (16 records of the shipped files).
    public static func readPRMBench(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<PRMInstance> {
        try FileLoading.records(path, options: options, jsonl: true) { record, ctx in
            let original = try ctx.stringArray(record, "original_process")
            let modified = try ctx.stringArray(record, "modified_process")
            let errorSteps = try ctx.intArray(record, "error_steps")
            let classification = try ctx.string(record, "classification")
            let idx = try ctx.optionalID(record, "idx") ?? "\(ctx.index)"
            let fallback = try ctx.optionalString(record, "question")
            guard let originalQuestion = try ctx.optionalString(record, "original_question") ?? fallback else {
                throw ctx.fail(.missingKey("original_question"))
            }
            let modifiedQuestion = try ctx.optionalString(record, "modified_question") ?? originalQuestion
            if original.isEmpty || modified.isEmpty { throw ctx.fail(.emptySteps) }
            if let bad = errorSteps.first(where: { $0 < 1 }) {
                throw ctx.fail(.invalid("error step \(bad) is below 1 (error_steps are 1-based)"))
            }
            // Some shipped records list steps past the end of modified_process (100 of 6,216);
            // only the first error matters for the labels, so those entries are ignored unless
            // no listed step lies inside the process (16 records), which cannot be labelled.
            if let first = errorSteps.min(), first > modified.count {
                throw ctx.fail(.invalid("error_steps \(errorSteps) all lie past the last step (\(modified.count)) of modified_process"))
            }
            let firstError = errorSteps.min().map { $0 - 1 } ?? modified.count
            let meta = ctx.extras(record, known: ["original_process", "modified_process", "original_question",
                                                  "modified_question", "question", "classification", "idx"])
            return [
                PRMInstance(id: "\(idx)/original", domain: classification, question: originalQuestion, steps: original,
                            labels: Array(repeating: 1, count: original.count), metadata: meta),
                PRMInstance(id: "\(idx)/modified", domain: classification, question: modifiedQuestion, steps: modified,
                            labels: (0..<modified.count).map { $0 < firstError ? 1 : 0 }, metadata: meta),
            ]
        }
    }

    /// Best-of-2 candidate sets from a PRMBench file: per record whose modified process has an
    /// error step and keeps the question, the original process (correct) and the modified one
    /// (wrong), in an order drawn from `seed` and the record index.
    /// Records that cannot be paired are skipped, each with a message naming the file and the
    /// record. This is `prmbench_pairs` in the language.
    public static func readPRMBenchPairs(_ path: String, limit: Int? = nil, seed: UInt64 = 0,
                                         systemPrompt: String) throws -> (sets: [CandidateSet], skipped: [String]) {
        let records = try readJSONL(path).items
        var sets: [CandidateSet] = []
        var skipped: [String] = []
        for (i, r) in records.enumerated() {
            if let limit, sets.count >= limit { break }
            let id = r["idx"].map { $0.stringValue ?? $0.description } ?? "\(i)"
            func strings(_ key: String) -> [String]? { r[key]?.arrayValue?.compactMap(\.stringValue) }
            guard let original = strings("original_process"), let modified = strings("modified_process"),
                  !original.isEmpty, !modified.isEmpty else {
                skipped.append("\(path): record \(i + 1): missing original_process or modified_process"); continue
            }
            guard let question = r["original_question"]?.stringValue ?? r["question"]?.stringValue else {
                skipped.append("\(path): record \(i + 1): missing original_question"); continue
            }
            if let mq = r["modified_question"]?.stringValue, mq != question {
                skipped.append("\(path): record \(i + 1): the modified process answers a different question"); continue
            }
            let errorValues = r["error_steps"]?.arrayValue ?? []
            // Checked conversion: Int(1e300) is undefined in release builds (it was reported "below 1").
            let errors = errorValues.compactMap(\.intValue)
            guard errors.count == errorValues.count else {
                skipped.append("\(path): record \(i + 1): error_steps \(JSONValue.array(errorValues)) holds something that is not a whole step number"); continue
            }
            guard let first = errors.min(), first >= 1, first <= modified.count, original != modified else {
                skipped.append("\(path): record \(i + 1): no error step inside modified_process"); continue
            }
            // SplitMix64 of (seed, index): which of the two comes first.
            let correctFirst = (SplitMix64.mix(seed &+ UInt64(i) &* SplitMix64.increment) & 1) == 0
            let steps = correctFirst ? [original, modified] : [modified, original]
            sets.append(CandidateSet(id: id, question: question, candidates: steps.map { $0.joined(separator: "\n") },
                                     candidateSteps: steps, correct: correctFirst ? [true, false] : [false, true],
                                     domain: r["classification"]?.stringValue, systemPrompt: systemPrompt))
        }
        return (sets, skipped)
    }

    /// Reads a BIG-Bench-Mistake JSONL file: `{input, steps, target, answer, mistake_index}`;
    /// steps before the 0-based `mistake_index` are `+`, the rest `-`; all `+` when it is null.
    /// `domain` is the file name without extension (the task); ids are `<task>/<record index>`.
    public static func readBBM(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<PRMInstance> {
        let task = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try FileLoading.records(path, options: options, jsonl: true) { record, ctx in
            let input = try ctx.string(record, "input")
            let steps = try ctx.stringArray(record, "steps")
            if steps.isEmpty { throw ctx.fail(.emptySteps) }
            let mistakeValue = try ctx.value(record, "mistake_index")
            var mistake = steps.count
            switch mistakeValue {
            case .null: break
            case .number(let n) where n == n.rounded():
                // Compared as a Double first: Int(1e19) is undefined in release builds (every
                // step was labelled '-').
                guard n >= 0, n < Double(steps.count) else {
                    throw ctx.fail(.invalid("mistake_index \(mistakeValue) is outside 0..<\(steps.count)"))
                }
                mistake = Int(n)
            default:
                throw ctx.fail(.wrongType(key: "mistake_index", expected: "an integer or null", found: mistakeValue.typeName))
            }
            return [PRMInstance(id: "\(task)/\(ctx.index)", domain: task, question: input, steps: steps,
                                labels: (0..<steps.count).map { $0 < mistake ? 1 : 0 },
                                metadata: ctx.extras(record, known: ["input", "steps"]))]
        }
    }

    // MARK: Generic JSONL

    /// Reads a JSON-lines file as raw records (blank lines ignored; a line that is not JSON is a
    /// record error).
    public static func readJSONL(_ path: String, options: ReadOptions = ReadOptions()) throws -> ReadResult<JSONValue> {
        try FileLoading.records(path, options: options, jsonl: true, requireObject: false) { record, _ in [record] }
    }

    /// Reads a JSON-lines file and converts each record with `convert`. `convert` may throw a
    /// `DatasetError.Problem` (it is attributed to the file and record) or any error (it becomes
    /// `.invalid` with its description).
    public static func readJSONL<T>(_ path: String, options: ReadOptions = ReadOptions(),
                                    convert: (JSONValue) throws -> T) throws -> ReadResult<T> {
        try FileLoading.records(path, options: options, jsonl: true, requireObject: false) { record, ctx in
            do { return [try convert(record)] } catch let e as DatasetError {
                throw e
            } catch let p as DatasetError.Problem {
                throw ctx.fail(p)
            } catch {
                throw ctx.fail(.invalid("\(error)"))
            }
        }
    }
}
