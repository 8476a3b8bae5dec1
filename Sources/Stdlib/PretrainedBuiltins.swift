import Foundation
import Lang
import Tensors
import Autodiff
import NN
import Datasets
import PRM
import Support

/// A pretrained encoder (`loadModel`) in the language.
public final class PretrainedModelValue: TabledObject {
    public let model: PretrainedModel
    public init(_ model: PretrainedModel) { self.model = model }
    public var typeName: String { "pretrained_model" }
    public var summary: String {
        let c = model.encoder.config
        return "pretrained_model: BERT, \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), \(c.numAttentionHeads) heads, "
            + "vocab \(model.tokenizer.vocabularySize), max length \(model.maxLength), \(model.encoder.parameterCount) parameters (\(model.directory))"
    }

    static func texts(_ value: Value, _ what: String) throws -> [String] {
        if case .string(let s) = value { return [s] }
        return try Convert.strings(value, what)
    }

    public static let members = MemberTable<PretrainedModelValue>([
        .field("hidden_size", "width of the hidden states") { .int($0.model.hiddenSize) },
        .field("vocab_size", "number of WordPiece tokens") { .int($0.model.tokenizer.vocabularySize) },
        .field("max_length", "longest input in tokens (512 for BERT)") { .int($0.model.maxLength) },
        .field("num_layers", "number of encoder blocks") { .int($0.model.encoder.config.numHiddenLayers) },
        .field("parameter_count", "number of parameters") { .int($0.model.encoder.parameterCount) },
        .field("directory", "the folder it was loaded from") { .string($0.model.directory) },
        .method("tokenize", parameters: [.positional("text", "string", "the text")], "token ids of a text, with [CLS] and [SEP]") { m, args in
            Convert.ints(m.model.tokenize(try args.string(0, "text")))
        },
        .method("tokens", parameters: [.positional("text", "string", "the text")], "the WordPiece token strings of a text, with [CLS] and [SEP]") { m, args in
            Convert.strings(m.model.tokenizer.tokens(try args.string(0, "text")))
        },
        .method("encode", parameters: [.positional("text", "string", "the text")], "last hidden state of a text, a tensor [tokens x hidden]") { m, args in
            .native(TensorValue(m.model.encode(try args.string(0, "text"))))
        },
        .method("embed", parameters: [.positional("texts", "list of strings", "the texts (a list of strings)")], "mean-pooled sentence embeddings, a tensor [texts x hidden]") { m, args in
            let texts = try texts(try args.value(0, "texts"), "embed() texts")
            guard !texts.isEmpty else { throw DprmError.type("embed() needs at least one text") }
            return .native(TensorValue(m.model.embed(texts)))
        },
        .method("save", parameters: [.positional("path", "string", "the model directory written")], "writes the encoder and tokenizer as a model directory") { m, args in
            let dir = try args.string(0, "path")
            try Convert.library("save") { try m.model.save(directory: dir) }
            return .string(dir)
        },
    ])
}

/// Builtins of the `prm` module (which exposes the PRM target) for pretrained encoders and language
/// models and the PRMBench helpers of the pretrained-PRM example; listed in `PRMBuiltins.registry`.
enum PretrainedBuiltins {
    /// A short system prompt for PRMs with a 512-token window (the reference's takes ~200 WordPiece tokens).
    static let shortSystemPrompt = "Check each step of the solution: answer + if the solution is correct up to this step, - if not."

    static let builtins: [Builtin] = [
        Builtin("load_model", parameters: [
                .positional("path_or_name", "string", "a .gguf file, a Hugging Face folder, or a model cache name"),
            ], "Loads a pretrained model: a BERT-family encoder, or a llama-family language model from a GGUF file or a Hugging Face folder.",
                help: """
                A .gguf file, a directory, or a model name looked up in the model cache ($DPRM_MODEL_CACHE, ~/.cache/dprm/models; scripts/fetch-models fills it, e.g. smollm2-135m-instruct) and then in the shared models ($DPRM_SHARED/models, ../shared/models).
                A GGUF file (general.architecture llama or qwen2), or a folder whose config.json says model_type llama or qwen2 (LlamaForCausalLM, Qwen2ForCausalLM; model.safetensors or a sharded model.safetensors.index.json; tokenizer.json), gives a language model with tokenize(text) -> ids (nothing added unless add_special_tokens: true), detokenize(ids), logits(text_or_ids) -> tensor [tokens x vocab], generate(prompt, max_tokens: 40, temperature: 0, seed: 0) (temperature 0 is greedy; a text prompt gives text, an id list gives ids), chat_template(messages) (messages: a list of {role, content} dicts; ChatML), and fields architecture, vocab_size, hidden_size, num_layers, max_length, parameter_count, source.
                Any other folder (config.json, model.safetensors, tokenizer.json or vocab.txt) is a BERT-family encoder with tokenize(text) -> ids, tokens(text), encode(text) -> tensor [tokens x hidden] (last hidden state), embed(texts) -> tensor [texts x hidden] (mean pooling), save(path), and fields hidden_size, vocab_size, max_length. A PRM checkpoint of prm_new(backbone: ...) is a model directory too.
                """,
                example: "let m = load_model(\"minilm-l6-v2\")\nprint(m.tokenize(\"Hello world\"))\nprint(m.encode(\"Hello world\").shape)\nprint(m.embed([\"a\", \"b c\"]).shape)") { args in
            let path = try args.string(0, "path_or_name")
            return try Convert.library("load_model") {
                switch try ModelStore.locate(path) {
                case .gguf, .languageModelFolder: return .native(LanguageModelValue(try loadLanguageModel(path: path)))
                case .encoderFolder: return .native(PretrainedModelValue(try loadModel(path: path)))
                }
            }
        },
        Builtin("prmbench_pairs", parameters: [
                .positional("path", "string", "the PRMBench JSONL file"),
                .keyword("limit", "whole number", "read at most this many records"),
                .keyword("seed", "whole number", default: 0, "seeds the order of each pair"),
                .keyword("system_prompt", "string", "replaces every record's system prompt"),
            ], "Best-of-2 candidate sets from a PRMBench file: the original (correct) and modified (wrong) process of each question.",
                help: """
                Records whose modified process has no error step inside it, or answers a different question, are skipped (their messages are in .skipped). The order of the two candidates is drawn per record from seed, so picking the first candidate scores about 50%. system_prompt defaults to a short prompt (about 25 WordPiece tokens) that leaves room for the steps in a 512-token window; pass "default" for the reference prompt.
                """,
                example: "let pairs = prmbench_pairs(path_join(shared_data(), \"prmbench/prm800k_test_p1_4o_circular.jsonl\"), limit: 4)\nprint(len(pairs), pairs.kind)") { args in
            let path = try args.string(0, "path")
            let limit = args.optional(nil, "limit") == nil ? nil : try args.int(nil, "limit")
            var prompt = args.optional(nil, "system_prompt") == nil ? shortSystemPrompt : try args.string(nil, "system_prompt")
            if prompt == "default" { prompt = Datasets.defaultSystemPrompt }
            let (sets, skipped) = try Convert.library("prmbench_pairs") {
                try DatasetIO.readPRMBenchPairs(path, limit: limit, seed: UInt64(try args.int(nil, "seed")), systemPrompt: prompt)
            }
            return .native(DatasetValue(.candidates(sets), source: path, skipped: skipped))
        },
        Builtin("with_system_prompt", parameters: [
                .positional("datasets", "dataset or list of datasets", "a dataset or a list of datasets of one kind"),
                .positional("prompt", "string", "the system prompt, or \"short\" / \"default\" for the built-in ones"),
            ], "One dataset from a dataset or a list of datasets of one kind (concatenated), with every record's system prompt replaced.",
                help: "Readers of formats without a system turn (PRMBench, BIG-Bench-Mistake) use the reference's long prompt, about 200 WordPiece tokens; a PRM on a 512-token encoder has more room for the steps with a short one. \"short\" names the short prompt of prmbench_pairs, \"default\" the reference's.",
                example: "let dir = path_join(shared_data(), \"prmbench\")\nlet a = load_prmbench(path_join(dir, \"prm800k_test_p1_4o_circular.jsonl\"), limit: 2)\nlet b = load_prmbench(path_join(dir, \"prm800k_test_p1_4o_confidence.jsonl\"), limit: 2)\nlet both = with_system_prompt([a, b], \"short\")\nprint(len(both), both.kind)") { args in
            let parts = try PRMBuiltins.datasets(try args.value(0, "datasets"), "with_system_prompt() datasets")
            var prompt = try args.string(1, "prompt")
            if prompt == "short" { prompt = shortSystemPrompt }
            if prompt == "default" { prompt = Datasets.defaultSystemPrompt }
            guard let kind = parts.first?.kind else { throw DprmError.type("with_system_prompt() needs at least one dataset") }
            if let other = parts.first(where: { $0.kind != kind }) {
                throw DprmError.type("with_system_prompt() datasets must be of one kind, got \(kind) and \(other.kind)")
            }
            var train: [PRMInstance] = [], meta: [MetaInstance] = [], sets: [CandidateSet] = []
            for d in parts {
                switch d.content {
                case .train(let x): train += x.map { var y = $0; y.systemPrompt = prompt; return y }
                case .meta(let x): meta += x.map { var y = $0; y.systemPrompt = prompt; return y }
                case .candidates(let x): sets += x.map { var y = $0; y.systemPrompt = prompt; return y }
                }
            }
            let content: DatasetValue.Content = kind == "train" ? .train(train) : (kind == "meta" ? .meta(meta) : .candidates(sets))
            return .native(DatasetValue(content, source: parts.map(\.source).joined(separator: ", "), skipped: parts.flatMap(\.skipped)))
        },
    ]
}
