import Foundation
import XCTest
import Tensors
import Autodiff
@testable import NN
import Support

/// Safetensors read (a file written by the `safetensors` package), write round trips, bad
/// files, and atomic checkpoint directories.
final class SafetensorsTests: XCTestCase {
    var tmp: String!

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "dprm-nn-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tmp)
    }

    func testReadsTorchWrittenFileInEveryDtype() throws {
        let expected = try Fixture.json("safetensors.json")
        let file = try SafetensorsFile(path: Fixture.path("tensors.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "dprm fixture"])
        XCTAssertEqual(file.entries["f32"]?.dtype, .F32)
        XCTAssertEqual(file.entries["f16"]?.dtype, .F16)
        XCTAssertEqual(file.entries["bf16"]?.dtype, .BF16)
        XCTAssertEqual(file.entries["i64"]?.dtype, .I64)
        for name in ["f32", "f16", "bf16", "i64", "encoder.layer.0.attention.self.query.weight", "scalar"] {
            // Exact: F16/BF16 widen to F32 without rounding.
            XCTAssertEqual(try file.tensor(name).toArray(), Fixture.tensor(expected[name]).toArray(), name)
            XCTAssertEqual(try file.tensor(name).shape, Fixture.tensor(expected[name]).shape, name)
        }
        XCTAssertEqual(try file.int64s("i64"), (expected["i64_exact"] as! [NSNumber]).map(\.int64Value))
        XCTAssertThrowsError(try file.int64s("f32"))
        XCTAssertThrowsError(try file.tensor("missing")) { XCTAssertTrue("\($0)".contains("no tensor named 'missing'"), "\($0)") }
    }

    func testRoundTripInEveryWritableDtype() throws {
        let expected = try Fixture.json("safetensors.json")
        let rounding = expected["rounding"] as! [String: Any]
        let input = Fixture.tensor(rounding["input"])
        let t = Tensor(shape: [2, 3], scalars: [1, -2.5, 3.25, 0, 1e-3, 7])
        let path = tmp + "/rt.safetensors"
        try Safetensors.write(items: [
            "a": .float(t, .F32), "r16": .float(input, .F16), "rb16": .float(input, .BF16),
            "ids": .int64([Int64.max, -1, 1 << 53 + 1], shape: [3]),
        ], to: path, metadata: ["k": "v \"quoted\""])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.tensor("a").toArray(), t.toArray())
        XCTAssertEqual(try file.tensor("a").shape, [2, 3])
        // Rounding to F16/BF16 as torch's .to(float16/bfloat16).
        XCTAssertEqual(try file.tensor("r16").toArray(), Fixture.tensor(rounding["f16"]).toArray())
        XCTAssertEqual(try file.tensor("rb16").toArray(), Fixture.tensor(rounding["bf16"]).toArray())
        XCTAssertEqual(try file.int64s("ids"), [Int64.max, -1, 1 << 53 + 1])
        XCTAssertEqual(file.metadata["k"], "v \"quoted\"")
        // Header padded so data starts 8-byte aligned.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + n) % 8, 0)
        // No temporary left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), ["rt.safetensors"])
    }

    func testWrittenHeaderLayoutMatchesTheFormat() throws {
        // The header is plain JSON with sorted names and contiguous offsets, as the Rust crate
        // writes; check the layout by hand (python is not needed by the tests).
        let bytes = try Safetensors.encode(items: ["b": .float(Tensor([1, 2]), .F32), "a": .float(Tensor([3]), .BF16)])
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(header, #"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}"#)
        XCTAssertEqual(bytes.count, 8 + n + 10)
    }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let path = tmp + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func header(_ json: String, data: Int) -> [UInt8] {
        var b = [UInt8]()
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { b.append(contentsOf: $0) }
        b.append(contentsOf: Array(json.utf8))
        b.append(contentsOf: [UInt8](repeating: 0, count: data))
        return b
    }

    func assertRejects(_ bytes: [UInt8], _ name: String, mentioning words: [String], line: UInt = #line) {
        let path = write(bytes, name)
        XCTAssertThrowsError(try SafetensorsFile(path: path), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), "error should name the file: \(text)", line: line)
            for w in words { XCTAssertTrue(text.contains(w), "error should mention '\(w)': \(text)", line: line) }
        }
    }

    func testRejectsBadFilesNamingFileAndProblem() {
        assertRejects([1, 2, 3], "short.safetensors", mentioning: ["truncated"])
        assertRejects(Array(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 8).dropLast(30)), "cut.safetensors", mentioning: ["truncated"])
        assertRejects(header(#"{"a": {"dtype": "F32", "#, data: 0), "json.safetensors", mentioning: ["bad header JSON"])
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: 8), "range.safetensors", mentioning: ["'a'", "out of range"])
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), "span.safetensors", mentioning: ["'a'", "needs 12"])
        assertRejects(header(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, data: 8), "dtype.safetensors", mentioning: ["unknown dtype 'Q4'"])
        XCTAssertThrowsError(try SafetensorsFile(path: tmp + "/absent.safetensors")) { XCTAssertTrue("\($0)".contains("absent.safetensors")) }
    }

    /// The hostile headers of issue 18 (item 3): each used to crash (SIGILL, SIGBUS, a segfault
    /// on first use) or load wrong; each is now an error naming the file, the tensor and the problem.
    func testRejectsHostileHeadersWithCheckedArithmetic() {
        // Header length 2^64 - 1 (`ff` x 8): was a negative Int after conversion, then SIGILL.
        assertRejects([UInt8](repeating: 0xFF, count: 8) + Array("{}".utf8), "length.safetensors",
                      mentioning: ["header length 18446744073709551615", "exceeds"])
        // Header length 2^63 exactly.
        assertRejects([0, 0, 0, 0, 0, 0, 0, 0x80] + Array("{}".utf8), "length63.safetensors", mentioning: ["header length 9223372036854775808"])
        // Shape product overflow: (2^61 + 1) * 4 elements * 4 bytes wraps to a small byte count.
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[2305843009213693953,4],"data_offsets":[0,16]}}"#, data: 16),
                      "shape61.safetensors", mentioning: ["'a'", "more than 2^63"])
        // [2^32, 2^32] is 2^64 elements: wrapped to 0 and matched offsets [0, 0], then indexing segfaulted.
        assertRejects(header(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, data: 0),
                      "shape32.safetensors", mentioning: ["'a'", "more than 2^63 elements"])
        // Element count fits, byte count (x 8) does not.
        assertRejects(header(#"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#, data: 0),
                      "bytes.safetensors", mentioning: ["'a'", "more than 2^63 bytes"])
        // Offsets at or above 2^64 (and 2^63) are not Ints: never wrapped.
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[18446744073709551616,18446744073709551624]}}"#, data: 8),
                      "offset64.safetensors", mentioning: ["'a'", "data_offsets must be"])
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[-8,0]}}"#, data: 8),
                      "negative.safetensors", mentioning: ["'a'", "out of range"])
        // Fractional shapes and offsets were truncated.
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}}"#, data: 8), "fshape.safetensors", mentioning: ["'a'", "bad shape"])
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0.5,2.5]}}"#, data: 8), "foffset.safetensors", mentioning: ["'a'", "data_offsets must be"])
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#, data: 8), "dim.safetensors", mentioning: ["'a'", "bad shape"])
        assertRejects(header(#"{"a":{"dtype":"U8","shape":"2","data_offsets":[0,2]}}"#, data: 8), "strshape.safetensors", mentioning: ["'a'", "no shape"])
        assertRejects(header(#"{"a":{"dtype":7,"shape":[2],"data_offsets":[0,2]}}"#, data: 8), "numdtype.safetensors", mentioning: ["'a'", "no dtype"])
        // Overlapping tensors and duplicate names were accepted.
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[6],"data_offsets":[0,6]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#, data: 8),
                      "overlap.safetensors", mentioning: ["'a'", "'b'", "overlap"])
        assertRejects(header(#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#, data: 8),
                      "duplicate.safetensors", mentioning: ["duplicate entry 'a'"])
        // Still accepted: tensors end to end, empty tensors anywhere, a gap.
        let fine = write(header(#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}"#, data: 8), "fine.safetensors")
        XCTAssertNoThrow(try SafetensorsFile(path: fine))
        XCTAssertEqual(try SafetensorsFile(path: fine).tensor("e").shape, [0, 3])
    }

    func testCheckpointDirectoryIsWrittenAtomicallyAndReplaced() throws {
        var rng = RandomGenerator(seed: 3)
        let config = TransformerConfig(hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16)
        let model = TransformerEncoder(config: config, rng: &rng)
        let dir = tmp + "/ckpt"
        try model.save(checkpoint: dir, config: config, extraFiles: ["trainer_state.json": Data("{\"step\":1}".utf8)])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir)), ["model.safetensors", "config.json", "trainer_state.json"])
        let (weights, loaded) = try Checkpoint.load(directory: dir, configType: TransformerConfig.self)
        XCTAssertEqual(loaded, config)
        XCTAssertEqual(weights.metadata["format"], "pt")
        var rng2 = RandomGenerator(seed: 99)
        let other = TransformerEncoder(config: loaded, rng: &rng2)
        try other.load(safetensors: weights)
        for ((n1, p1), (n2, p2)) in zip(model.namedParameters(), other.namedParameters()) {
            XCTAssertEqual(n1, n2)
            XCTAssertEqual(p1.value.toArray(), p2.value.toArray(), n1)
        }
        // Overwrite with BF16 weights and no extra file: the old folder is replaced as a whole.
        try Checkpoint.save(directory: dir, tensors: model.stateDict(), dtype: .BF16, config: config)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir)), ["model.safetensors", "config.json"])
        XCTAssertEqual(try Checkpoint.load(directory: dir).weights.entries["layer.0.output.dense.weight"]?.dtype, .BF16)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), ["ckpt"], "no temporary or old folders left")
        // A config that does not decode is an error naming config.json.
        try AtomicFile.write(Data("[1]".utf8), to: dir + "/config.json")
        XCTAssertThrowsError(try Checkpoint.load(directory: dir, configType: TransformerConfig.self)) {
            XCTAssertTrue("\($0)".contains("config.json"), "\($0)")
        }
    }

    func testHuggingFaceStyleConfigDecodesWithDefaults() throws {
        let json = #"{"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522, "layer_norm_eps": 1e-12, "model_type": "bert"}"#
        let c = try JSONDecoder().decode(TransformerConfig.self, from: Data(json.utf8))
        XCTAssertEqual(c.hiddenSize, 384)
        XCTAssertEqual(c.hiddenAct, "gelu")
        XCTAssertEqual(c.normPlacement, .post)
    }
}
