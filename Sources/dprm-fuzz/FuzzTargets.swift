import Foundation
import Support
import Tensors
import NN
import Datasets
import Lang

/// The in-process fuzz targets (issue 18, "keep it from coming back"): each takes one input's
/// bytes, feeds them to a reader as a hostile user would (a file on disk, a script), and ignores
/// the reader's errors: a clean error is the right answer, and only a crash (a signal, an
/// AddressSanitizer report, a trap) or a hang is a finding. `scripts/fuzz --libfuzzer` builds
/// this executable with libFuzzer and AddressSanitizer and runs each target; the plain build
/// replays inputs (`dprm-fuzz TARGET FILE...`), which is how a finding is reproduced.
enum FuzzTarget: String, CaseIterable {
    /// A `model.safetensors` file: header, every tensor read.
    case safetensors
    /// A GGUF file: header, metadata, every tensor dequantised, the llama config, the
    /// tokenizer and the model built from it.
    case gguf
    /// A llama model folder: the input is a 2-byte little-endian length n, n bytes of
    /// `config.json`, then `model.safetensors`.
    case model
    /// The JSON parser (strict, with NaN/Infinity, and the language's `json_parse` values).
    case json
    /// The data readers: the first byte picks one (`dataReaders`), the rest is the file.
    case data
    /// The language: parse, compile and resolve names (`dprm check`), without running.
    case lang

    /// What each value of the `data` target's first byte reads (taken modulo the count).
    static let dataReaders: [(name: String, file: String, read: (String) throws -> Void)] = [
        ("bbm", "task.jsonl", { _ = try DatasetIO.readBBM($0) }),
        ("prmbench", "prmbench.jsonl", { _ = try DatasetIO.readPRMBench($0) }),
        ("prmbench_pairs", "prmbench.jsonl", { _ = try DatasetIO.readPRMBenchPairs($0, limit: 50, systemPrompt: "Check each step.") }),
        ("train", "train.json", { _ = try DatasetIO.readTrain($0) }),
        ("meta", "meta.json", { _ = try DatasetIO.readMeta($0) }),
        ("meta_v1", "meta.json", { _ = try DatasetIO.readMetaV1($0) }),
        ("candidates", "test.json", { _ = try DatasetIO.readCandidates($0) }),
        ("jsonl", "data.jsonl", { _ = try DatasetIO.readJSONL($0) }),
        ("csv", "data.csv", { _ = CSV.parse(try UTF8Text.read(path: $0)) }),
    ]
}

/// Runs targets on inputs, writing file inputs into one scratch folder (in memory under
/// /dev/shm when there is one: a file per input costs microseconds there).
final class FuzzHarness {
    let folder: String
    /// One interpreter for every `lang` input (`check` compiles into a scratch one each time).
    private lazy var interpreter = Interpreter(options: .init(searchPaths: [], output: { _ in }))

    init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        folder = base + "/dprm-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    private func write(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> String {
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(buffer: bytes))
        return path
    }

    /// Feeds `bytes` to `target`; errors thrown by the readers are the expected outcome.
    func run(_ target: FuzzTarget, _ bytes: UnsafeBufferPointer<UInt8>) {
        switch target {
        case .safetensors:
            let path = write(bytes, "model.safetensors")
            if let file = try? SafetensorsFile(path: path) { _ = try? file.allTensors() }
        case .gguf:
            let path = write(bytes, "model.gguf")
            guard let file = try? GGUFFile(path: path) else { return }
            for name in file.tensorNames { _ = try? file.tensor(name) }
            _ = try? LlamaConfig(gguf: file)
            _ = try? BPETokenizer.load(gguf: file)
            _ = try? LlamaModel.load(gguf: path)
        case .model:
            guard bytes.count >= 2 else { return }
            let n = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
            let dir = folder + "/model"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = write(UnsafeBufferPointer(rebasing: bytes[2..<(2 + n)]), "model/config.json")
            _ = write(UnsafeBufferPointer(rebasing: bytes[(2 + n)...]), "model/model.safetensors")
            _ = try? LlamaModel.load(directory: dir)
        case .json:
            _ = try? JSONValue.parse(buffer: bytes)
            _ = try? JSONValue.parse(buffer: bytes, options: JSONParseOptions(allowNonFinite: true))
            if let text = try? UTF8Text.decode(Array(bytes), path: "input") { _ = try? JSON.parse(text) }
        case .data:
            guard let first = bytes.first else { return }
            let reader = FuzzTarget.dataReaders[Int(first) % FuzzTarget.dataReaders.count]
            let path = write(UnsafeBufferPointer(rebasing: bytes.dropFirst()), reader.file)
            try? reader.read(path)
        case .lang:
            guard let text = try? UTF8Text.decode(Array(bytes), path: "fuzz.dprm") else { return }
            _ = interpreter.check(text, name: "fuzz.dprm")
        }
    }
}
