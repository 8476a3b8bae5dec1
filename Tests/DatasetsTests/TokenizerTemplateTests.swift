import XCTest
@testable import Datasets

final class TokenizerTemplateTests: XCTestCase {
    let bench = ArithmeticBenchmark(config: .init(seed: 3, trainSize: 160))

    func testTokenizerRoundTripAndSpecials() throws {
        let tok = bench.makeTokenizer()
        for text in bench.corpus.prefix(200) { XCTAssertEqual(tok.decode(tok.encode(text)), text) }
        XCTAssertEqual(tok.encode("<|im_start|>user\n"), [tok.imStartID] + tok.encode("user\n"))
        XCTAssertEqual(tok.encode("+"), [tok.plusID])
        XCTAssertEqual(tok.encode("-"), [tok.minusID])
        XCTAssertEqual(Set([tok.padID, tok.unkID, tok.imStartID, tok.imEndID, tok.plusID, tok.minusID]).count, 6)
        XCTAssertEqual(tok.encode("\u{1F600}"), [tok.unkID])
        XCTAssertLessThan(tok.vocabularySize, 200)  // a small vocabulary for the built-in data
        // Words and numbers seen in the corpus are single tokens; an unseen number is spelled.
        // (The benchmark's values lie in 0...10, so 10 is the largest number its corpus holds.)
        XCTAssertEqual(tok.encode("Compute 10").count, 1 + 1 + 1)
        XCTAssertEqual(tok.decode(tok.encode("3+7=10")).count, 6)
        XCTAssertEqual(tok.encode("3+7=10").map { tok.decode([$0]) }, ["3", "+", "7", "=", "10"])
        XCTAssertEqual(tok.encode("12").map { tok.decode([$0]) }, ["1", "2"])
        XCTAssertEqual(tok.encode("98765").map { tok.decode([$0]) }, ["9", "8", "7", "6", "5"])
    }

    /// A version 1 tokenizer (saved before numbers became words) keeps splitting every digit, so
    /// a checkpoint trained with it sees the same ids it was trained on.
    func testVersion1TokenizerKeepsSplittingDigits() throws {
        let tok = bench.makeTokenizer()
        let path = try TestPaths.scratch() + "/tokenizer-v1.json"
        guard case .object(var fields) = tok.json() else { return XCTFail("tokenizer JSON is not an object") }
        fields = fields.map { $0.key == "version" ? (key: "version", value: .number(1)) : $0 }
        try DatasetIO.writeAtomically(.object(fields), to: path)
        let v1 = try WordTokenizer.load(from: path)
        XCTAssertFalse(v1.numbersAsWords)
        XCTAssertEqual(v1.vocabulary, tok.vocabulary)
        XCTAssertEqual(v1.encode("7+5=12").map { v1.decode([$0]) }, ["7", "+", "5", "=", "1", "2"])
        XCTAssertNotEqual(v1, tok)
        fields = fields.map { $0.key == "version" ? (key: "version", value: .number(7)) : $0 }
        try DatasetIO.writeAtomically(.object(fields), to: path)
        XCTAssertThrowsError(try WordTokenizer.load(from: path)) { error in
            XCTAssertTrue("\(error)".contains("version 7"), "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    func testTokenizerTrainingIsDeterministicAndSaves() throws {
        var corpus = try realCorpus()
        let a = WordTokenizer.train(corpus: corpus, maxVocabulary: 3000)
        corpus.reverse()
        let b = WordTokenizer.train(corpus: corpus, maxVocabulary: 3000)
        XCTAssertEqual(a, b, "vocabulary order must not depend on corpus order")
        for text in corpus.prefix(100) where text.unicodeScalars.allSatisfy({ a.id(of: String($0)) != nil }) {
            XCTAssertEqual(a.decode(a.encode(text)), text)
        }
        let path = try TestPaths.scratch() + "/tokenizer.json"
        try a.save(to: path)
        let loaded = try WordTokenizer.load(from: path)
        XCTAssertEqual(loaded, a)
        XCTAssertEqual(loaded.encode(corpus[0]), a.encode(corpus[0]))
    }

    func realCorpus() throws -> [String] {
        guard let path = try? TestPaths.sharedFile("bbm/multistep_arithmetic.jsonl") else { return bench.corpus }
        return try DatasetIO.readBBM(path).items.flatMap { [$0.question] + $0.steps }
    }

    func testTemplateLabelPositionsTrainingMode() throws {
        let tok = bench.makeTokenizer()
        let template = ChatTemplate(tokenizer: tok)
        let instance = PRMInstance(id: "x", systemPrompt: "Check.", question: "Compute (2 + 3) * 4.",
                                   steps: ["2 + 3 = 5", "5 * 4 = 21", "Final answer: 21"], labels: [1, 0, 0.3])
        let t = template.encode(instance)
        XCTAssertEqual(t.labelPositions.count, 3)
        XCTAssertEqual(t.labels, [1, 0, 0.3])
        XCTAssertEqual(t.labelPositions.map { t.tokens[$0 + 1] }, [tok.plusID, tok.minusID, tok.minusID])
        for p in t.labelPositions { XCTAssertEqual(tok.decode(Array(t.tokens[(p - 1)...(p + 3)])), "assistant\n\(tok.decode([t.tokens[p + 1]]))<|im_end|>\n") }
        let expected = "<|im_start|>system\nCheck.<|im_end|>\n<|im_start|>user\nCompute (2 + 3) * 4.<|im_end|>\n"
            + "<|im_start|>user\n2 + 3 = 5<|im_end|>\n<|im_start|>assistant\n+<|im_end|>\n"
            + "<|im_start|>user\n5 * 4 = 21<|im_end|>\n<|im_start|>assistant\n-<|im_end|>\n"
            + "<|im_start|>user\nFinal answer: 21<|im_end|>\n<|im_start|>assistant\n-<|im_end|>\n"
        XCTAssertEqual(tok.decode(t.tokens), expected)
        XCTAssertEqual(t.tokens, tok.encode(expected))
    }

    /// `required` texts are whole tokens whatever their count in the corpus (minFrequency 2 would
    /// otherwise spell a role name seen once letter by letter).
    func testRequiredTextsAreWholeTokens() throws {
        let corpus = ["Compute 2+3.", "Compute 4-1.", "2+3=5"]
        let plain = WordTokenizer.train(corpus: corpus)
        let tok = WordTokenizer.train(corpus: corpus, required: ChatTemplate.templateTexts)
        XCTAssertGreaterThan(plain.encode("assistant\n").count, 2)
        for text in ["system\n", "user\n", "assistant\n"] { XCTAssertEqual(tok.encode(text).count, 2, text) }
        XCTAssertEqual(tok.decode(tok.encode("Compute 2+3.")), "Compute 2+3.")
    }

    /// `.placeholder` writes `+` in every assistant turn of a training input (as scoring does) and
    /// keeps the labels as targets; otherwise the tokens are those of `.labels`.
    func testPlaceholderLabelInputs() throws {
        let tok = bench.makeTokenizer()
        let instance = PRMInstance(id: "x", systemPrompt: "Check.", question: "Compute (2 + 3) * 4.",
                                   steps: ["2 + 3 = 5", "5 * 4 = 21", "Final answer: 21"], labels: [1, 0, 0.3])
        let forced = ChatTemplate(tokenizer: tok).encode(instance)
        let placeholder = ChatTemplate(tokenizer: tok, labelInputs: .placeholder).encode(instance)
        XCTAssertEqual(placeholder.labels, [1, 0, 0.3])
        XCTAssertEqual(placeholder.labelPositions, forced.labelPositions)
        XCTAssertEqual(placeholder.labelPositions.map { placeholder.tokens[$0 + 1] }, [tok.plusID, tok.plusID, tok.plusID])
        let scoring = ChatTemplate(tokenizer: tok).encode(systemPrompt: "Check.", question: instance.question, steps: instance.steps, labels: nil)
        XCTAssertEqual(placeholder.tokens, scoring.tokens)
        var differing = zip(forced.tokens, placeholder.tokens).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        differing.sort()
        XCTAssertEqual(differing, [forced.labelPositions[1] + 1, forced.labelPositions[2] + 1])
    }

    func testScoringModeUsesPlaceholderAndPrefixesDoNotDependOnLaterSteps() throws {
        let tok = bench.makeTokenizer()
        let template = ChatTemplate(tokenizer: tok)
        let set = bench.test[0]
        let a = template.encode(set, candidate: 0)
        XCTAssertTrue(a.labelPositions.allSatisfy { a.tokens[$0 + 1] == tok.plusID })
        XCTAssertEqual(a.labels, Array(repeating: 1, count: set.candidateSteps[0].count))
        // Editing the last step leaves every earlier label position's prefix unchanged.
        var steps = set.candidateSteps[0]
        steps[steps.count - 1] = "Final answer: 999"
        let b = template.encode(systemPrompt: set.systemPrompt, question: set.question, steps: steps, labels: nil)
        for p in a.labelPositions.dropLast() { XCTAssertEqual(Array(a.tokens[...p]), Array(b.tokens[...p])) }
        let meta = template.encode(bench.meta[0])
        XCTAssertEqual(meta.labelPositions.count, bench.meta[0].steps.count)
    }

    func testTruncationKeepsWholeSteps() throws {
        let tok = bench.makeTokenizer()
        let full = ChatTemplate(tokenizer: tok).encode(bench.train[0])
        XCTAssertGreaterThan(full.labelPositions.count, 1)
        // A limit that ends inside the second step keeps exactly the first.
        let limit = full.labelPositions[1]
        let cut = ChatTemplate(tokenizer: tok, maxLength: limit).encode(bench.train[0])
        XCTAssertEqual(cut.labelPositions, [full.labelPositions[0]])
        XCTAssertEqual(cut.labels, [full.labels[0]])
        XCTAssertEqual(cut.truncatedSteps, full.labelPositions.count - 1)
        XCTAssertEqual(cut.tokens, Array(full.tokens.prefix(full.labelPositions[0] + 4)))  // label, <|im_end|>, \n
        XCTAssertLessThanOrEqual(cut.tokens.count, limit)
        // Not even one step fits: the header, cut to the limit, and no label position.
        let tiny = ChatTemplate(tokenizer: tok, maxLength: 5).encode(bench.train[0])
        XCTAssertEqual(tiny.tokens.count, 5)
        XCTAssertEqual(tiny.labelPositions, [])
        XCTAssertEqual(tiny.truncatedSteps, bench.train[0].steps.count)
        // Exactly the full length keeps everything.
        XCTAssertEqual(ChatTemplate(tokenizer: tok, maxLength: full.tokens.count).encode(bench.train[0]), full)
    }
}
