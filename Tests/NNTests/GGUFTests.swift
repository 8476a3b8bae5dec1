import Foundation
import XCTest
import Tensors
@testable import NN

/// The GGUF reader against gguf-py (fixtures of scripts/make_gguf_fixtures.py), files built byte
/// by byte, hostile and truncated files, and the real SmolLM2 file when it is in the model cache.
final class GGUFTests: XCTestCase {
    var tmp: String!

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "dprm-gguf-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tmp)
    }

    static let fixtures = Fixture.path("gguf")

    // MARK: Against gguf-py

    func testDequantizesEveryTypeLikeGGUFPy() throws {
        let expected = try Fixture.json("gguf/quants.json")
        let file = try GGUFFile(path: Self.fixtures + "/quants.gguf")
        XCTAssertEqual(Set(file.tensorNames), Set(expected.keys))
        var seen = Set<String>()
        for (name, any) in expected {
            let e = any as! [String: Any]
            let info = try file.info(name)
            XCTAssertEqual(info.type.description, e["type"] as? String, name)
            seen.insert(info.type.description)
            let want = Fixture.tensor(e)
            XCTAssertEqual(info.shape, want.shape, name)
            // Same Float32 operations in the same order as gguf-py (no fused multiply-add), so the
            // values agree to the last bit in practice; the tolerance only allows for a compiler
            // that contracts d * q + m into an FMA.
            assertClose(try file.tensor(name), want, rtol: 1e-6, atol: 1e-7, "\(name) (\(info.type))")
        }
        XCTAssertEqual(seen, Set(GGMLType.dequantizable.map(\.description)), "every dequantisable type has a fixture")
        // Dimensions innermost first; the Tensor is row-major: cube is numpy arange(24).reshape(2, 3, 4).
        let cube = try file.info("cube")
        XCTAssertEqual(cube.dimensions, [4, 3, 2])
        XCTAssertEqual(try file.tensor("cube").toArray(), (0..<24).map(Float.init))
    }

    /// Turns a value into the shape metadata.json uses (integers as decimal strings, floats as bits).
    func canonical(_ v: GGUFValue) -> [String: Any] {
        switch v {
        case .float32(let f): return ["type": "FLOAT32", "bits": String(f.bitPattern)]
        case .float64(let d): return ["type": "FLOAT64", "bits": String(d.bitPattern)]
        case .bool(let b): return ["type": "BOOL", "value": b]
        case .string(let s): return ["type": "STRING", "value": s]
        case .array(let t, let items): return ["type": "ARRAY", "element_type": t.description, "items": items.map(canonical)]
        default: return ["type": v.type.description, "value": v.description]
        }
    }

    func testMetadataOfEveryValueTypeAsGGUFPyWroteIt() throws {
        let expected = try Fixture.json("gguf/metadata.json")
        let file = try GGUFFile(path: Self.fixtures + "/metadata.gguf")
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadataKeys, expected["keys"] as! [String])
        let metadata = expected["metadata"] as! [String: Any]
        var types = Set<String>()
        for key in file.metadataKeys {
            let got = canonical(file.metadata[key]!)
            XCTAssertEqual(NSDictionary(dictionary: got), NSDictionary(dictionary: metadata[key] as! [String: Any]), key)
            types.insert(got["type"] as! String)
            if let e = got["element_type"] as? String { types.insert("[\(e)]") }
        }
        // Every scalar type, and arrays of every type (gguf-py cannot write an empty array; the
        // built-file test below has one).
        let all = GGUFValueType.allCases.map(\.description)
        XCTAssertEqual(types, Set(all + all.map { "[\($0)]" }))
        XCTAssertEqual(file.alignment, expected["alignment"] as? Int)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset, expected["data_offset"] as? Int)
        for (name, any) in expected["tensors"] as! [String: Any] {
            let e = any as! [String: Any]
            let info = try file.info(name)
            XCTAssertEqual(info.type.description, e["type"] as? String, name)
            XCTAssertEqual(info.dimensions, e["dimensions"] as? [Int], name)
            XCTAssertEqual(info.offset, e["data_offset"] as? Int, name)
            XCTAssertEqual(info.offset % 64, 0, name)
            XCTAssertEqual(try file.tensor(name).toArray(), (e["values"] as! [NSNumber]).map(\.floatValue), name)
        }
        // The typed accessors.
        XCTAssertEqual(file["t.array.string"]?.stringArray, ["a", "", "Ġthe", "<|im_start|>", "日本"])
        XCTAssertEqual(file["t.array.int32"]?.intArray, [-7, 2_147_483_647])
        XCTAssertEqual(try file.int("t.uint32"), 4_294_967_295)
        XCTAssertNil(file["t.uint64"]?.intValue, "UINT64 max does not fit an Int")
        XCTAssertEqual(try file.double("t.float64"), 3.141592653589793)
        XCTAssertEqual(try file.string("general.architecture"), "fixture")
        XCTAssertThrowsError(try file.int("t.string")) { XCTAssertTrue("\($0)".contains("'t.string' is STRING, not an integer"), "\($0)") }
        XCTAssertThrowsError(try file.string("absent")) { XCTAssertTrue("\($0)".contains("no metadata 'absent'"), "\($0)") }
    }

    // MARK: Files built byte by byte

    func open(_ b: GGUFBuilder, _ name: String = "t.gguf") throws -> GGUFFile {
        let path = tmp + "/" + name
        try b.write(to: path)
        return try GGUFFile(path: path)
    }

    func testBuiltFileWithEmptyValuesAndNesting() throws {
        var b = GGUFBuilder()
        b.header(tensors: 1, kvs: 4, version: 2)
        b.kv("empty", .string) { $0.string("") }
        b.kv("none", .array) { $0.u32(GGUFValueType.float64.rawValue); $0.u64(0) }
        b.kv("nested", .array) { b in
            b.u32(GGUFValueType.array.rawValue); b.u64(2)
            b.u32(GGUFValueType.uint16.rawValue); b.u64(1); b.u16(9)
            b.u32(GGUFValueType.string.rawValue); b.u64(1); b.string("x")
        }
        b.kv("flag", .bool) { $0.u8(1) }
        b.tensorInfo("s", dims: [], type: GGMLType.f32.rawValue, offset: 0)
        b.pad(to: 32)
        b.u32(Float(2.5).bitPattern)
        let f = try open(b)
        XCTAssertEqual(f.version, 2)
        XCTAssertEqual(f["empty"], .string(""))
        XCTAssertEqual(f["none"], .array(.float64, []))
        XCTAssertEqual(f["nested"], .array(.array, [.array(.uint16, [.uint16(9)]), .array(.string, [.string("x")])]))
        XCTAssertEqual(f["flag"], .bool(true))
        XCTAssertEqual(f.alignment, 32)
        XCTAssertEqual(try f.tensor("s").shape, [])
        XCTAssertEqual(try f.tensor("s").toArray(), [2.5])
    }

    func testSmallBuiltFileReads() throws {
        let f = try open(GGUFBuilder.small())
        XCTAssertEqual(f.tensorNames, ["w", "v"])
        XCTAssertEqual(try f.info("w").shape, [2, 8])
        XCTAssertEqual(try f.tensor("w").toArray(), (0..<16).map(Float.init))
        XCTAssertEqual(try f.tensor("v").toArray(), [100, 101, 102, 103])
        XCTAssertEqual(f["tokens"]?.stringArray, ["a", "bc"])
        XCTAssertThrowsError(try f.tensor("x")) { XCTAssertTrue("\($0)".contains("no tensor named 'x' (has 2: w, v)"), "\($0)") }
    }

    // MARK: Hostile and truncated files

    /// Opening `b` fails with an error that names the file and contains every one of `needles`.
    func assertRefused(_ b: GGUFBuilder, _ needles: String..., line: UInt = #line) {
        let path = tmp + "/hostile.gguf"
        do {
            try b.write(to: path)
            _ = try GGUFFile(path: path)
            XCTFail("opened a hostile file (expected: \(needles))", line: line)
        } catch let e as CheckpointError {
            XCTAssertEqual(e.path, path, line: line)
            for n in needles { XCTAssertTrue(e.problem.contains(n), "'\(e.problem)' lacks '\(n)'", line: line) }
        } catch {
            XCTFail("unexpected error \(error)", line: line)
        }
    }

    func testTruncatedAtEveryOffsetIsAnError() throws {
        // The fixtures and the small built file, cut at every length. A cut before the end of the
        // last tensor's data must fail; a cut in the padding after it leaves a valid file.
        let small = GGUFBuilder.small().bytes
        for (name, bytes) in [("quants.gguf", try Array(Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/quants.gguf")))),
                              ("metadata.gguf", try Array(Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/metadata.gguf")))),
                              ("small", small)] {
            let whole = try open(GGUFBuilder(bytes: bytes), "whole.gguf")
            let end = whole.tensorInfos.map { whole.dataOffset + $0.offset + $0.byteCount }.max()!
            let path = tmp + "/cut.gguf"
            var failures = 0
            for cut in 0..<bytes.count {
                try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
                do {
                    let f = try GGUFFile(path: path)
                    XCTAssertGreaterThanOrEqual(cut, end, "\(name) cut at \(cut) opened")
                    // What is left is whole: every tensor reads.
                    for t in f.tensorInfos where t.type.isDequantizable { _ = try f.tensor(t.name) }
                } catch let e as CheckpointError {
                    XCTAssertLessThan(cut, end, "\(name) cut at \(cut): \(e)")
                    XCTAssertEqual(e.path, path)
                    failures += 1
                }
            }
            XCTAssertEqual(failures, end, name)
        }
    }

    func testHugeCountsAndLengthsAreErrors() {
        for huge: UInt64 in [UInt64.max, 1 << 63, 1 << 40, 1_000_000] {
            var b = GGUFBuilder.small()
            b.patch64("tensor count", huge)
            assertRefused(b, "tensor count", "more than the rest of the file can hold")
            b = GGUFBuilder.small()
            b.patch64("kv count", huge)
            assertRefused(b, "metadata count", "more than the rest of the file can hold")
            b = GGUFBuilder.small()
            b.patch64("key general.name", huge)
            assertRefused(b, "length of key of metadata entry 1")
            b = GGUFBuilder.small()
            b.patch64("value general.name", huge)
            assertRefused(b, "length of value of 'general.name'")
            b = GGUFBuilder.small()
            b.patch64("count tokens", huge)
            assertRefused(b, "element count of 'tokens'")
            b = GGUFBuilder.small()
            b.patch64("first token", huge)
            assertRefused(b, "length of element 0 of 'tokens'")
            b = GGUFBuilder.small()
            b.patch64("tensor v", huge)
            assertRefused(b, "length of name of tensor 1")
        }
        // One element too many: the reader takes the tensor entries for the third string and then
        // finds no sense in what follows.
        var b = GGUFBuilder.small()
        b.patch64("count tokens", 3)
        assertRefused(b)
    }

    func testBadDimensionsOffsetsAndTypesAreErrors() {
        var b = GGUFBuilder.small()
        b.patch32("ndims w", 5)
        assertRefused(b, "tensor 'w': 5 dimensions")
        // Each dimension fits, their product overflows.
        b = GGUFBuilder.small()
        b.patch64("dims w", 1 << 32); b.patch64("dims w", 1 << 32, plus: 8)
        assertRefused(b, "tensor 'w'", "overflows")
        b = GGUFBuilder.small()
        b.patch64("dims w", UInt64.max)
        assertRefused(b, "tensor 'w': dimension 0 is 18446744073709551615")
        // Large but not overflowing: its bytes run past the end.
        b = GGUFBuilder.small()
        b.patch64("dims w", 1 << 40)
        assertRefused(b, "tensor 'w'", "run past the end of the file")
        b = GGUFBuilder.small()
        b.patch64("offset v", 1 << 20)
        assertRefused(b, "tensor 'v'", "run past the end of the file")
        b = GGUFBuilder.small()
        b.patch64("offset v", UInt64.max)
        assertRefused(b, "tensor 'v': data offset 18446744073709551615 is out of range")
        b = GGUFBuilder.small()
        b.patch64("offset v", (UInt64(Int.max) / 32) * 32)
        assertRefused(b, "tensor 'v'", "run past the end of the file")
        b = GGUFBuilder.small()
        b.patch64("offset v", 68)
        assertRefused(b, "tensor 'v': data offset 68 is not a multiple of the alignment 32")
        b = GGUFBuilder.small()
        b.patch32("ggml type w", 31)
        assertRefused(b, "tensor 'w': unknown ggml type 31")
        // A Q8_0 row must be a whole number of 32-element blocks.
        b = GGUFBuilder.small()
        b.patch32("ggml type w", GGMLType.q8_0.rawValue)
        assertRefused(b, "tensor 'w': rows of 8 elements are not a whole number of Q8_0 blocks")
    }

    func testBadHeaderAndMetadataAreErrors() {
        var b = GGUFBuilder.small()
        b.bytes[0] = UInt8(ascii: "X")
        assertRefused(b, "not a GGUF file")
        b = GGUFBuilder.small()
        b.patch32("version", 1)
        assertRefused(b, "GGUF version 1 is not supported")
        b = GGUFBuilder.small()
        b.patch32("version", UInt32(3).byteSwapped)
        assertRefused(b, "big-endian")
        b = GGUFBuilder.small()
        b.patch32("type general.name", 13)
        assertRefused(b, "metadata 'general.name': unknown value type 13")
        b = GGUFBuilder.small()
        b.patch32("element type tokens", 99)
        assertRefused(b, "metadata 'tokens': unknown array element type 99")
        b = GGUFBuilder.small()
        b.patch32("value general.alignment", 48)
        assertRefused(b, "'general.alignment' is 48, not a power of two")
        b = GGUFBuilder.small()
        b.patch32("value general.alignment", 0)
        assertRefused(b, "'general.alignment' is 0, not a power of two")
        b = GGUFBuilder.small()
        b.patch32("type general.alignment", GGUFValueType.int32.rawValue)
        assertRefused(b, "'general.alignment' must be a UINT32, found INT32")
        // Invalid UTF-8 in a string value.
        b = GGUFBuilder.small()
        b.bytes[b.marks["value general.name"]! + 8] = 0xFF
        assertRefused(b, "value of 'general.name'", "not valid UTF-8")
        // A BOOL byte other than 0 or 1.
        b = GGUFBuilder()
        b.header(tensors: 0, kvs: 1)
        b.kv("flag", .bool) { $0.u8(2) }
        assertRefused(b, "metadata 'flag': BOOL byte 2")
        // Duplicate key and duplicate tensor name.
        b = GGUFBuilder()
        b.header(tensors: 0, kvs: 2)
        b.kv("k", .uint8) { $0.u8(1) }
        b.kv("k", .uint8) { $0.u8(2) }
        assertRefused(b, "metadata key 'k' appears twice")
        b = GGUFBuilder()
        b.header(tensors: 2, kvs: 0)
        b.tensorInfo("t", dims: [1], type: 0, offset: 0)
        b.tensorInfo("t", dims: [1], type: 0, offset: 32)
        assertRefused(b, "tensor 't' appears twice")
        // Arrays nested deeper than the limit (a hostile file could otherwise recurse until the
        // stack overflows).
        b = GGUFBuilder()
        b.header(tensors: 0, kvs: 1)
        b.kv("deep", .array) { b in
            for _ in 0..<100 { b.u32(GGUFValueType.array.rawValue); b.u64(1) }
            b.u32(GGUFValueType.uint8.rawValue); b.u64(0)
        }
        assertRefused(b, "metadata 'deep': arrays nested more than")
        // Too short to hold a header, and an empty file.
        assertRefused(GGUFBuilder(bytes: Array("GGUF".utf8)), "truncated")
        assertRefused(GGUFBuilder(), "truncated")
        XCTAssertThrowsError(try GGUFFile(path: tmp + "/absent.gguf")) { XCTAssertTrue("\($0)".contains("cannot open"), "\($0)") }
    }

    func testUnsupportedTypeOpensButReadingItNamesTheSupportedTypes() throws {
        var b = GGUFBuilder()
        b.header(tensors: 1, kvs: 0)
        b.tensorInfo("k", dims: [256, 1], type: GGMLType.q5_K.rawValue, offset: 0)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: GGMLType.q5_K.typeSize)
        let f = try open(b)
        XCTAssertEqual(try f.info("k").byteCount, 176)
        XCTAssertThrowsError(try f.tensor("k")) {
            XCTAssertTrue("\($0)".contains("tensor 'k' is Q5_K, which dprm cannot dequantise (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)"), "\($0)")
        }
    }

    // MARK: The real model

    static var smollmPath: String {
        ModelStore.cacheDirectory() + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    func testRealSmolLM2File() throws {
        let path = Self.smollmPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent: run scripts/fetch-models smollm2-135m-instruct")
        }
        let f = try GGUFFile(path: path)
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(try f.string("general.architecture"), "llama")
        XCTAssertEqual(try f.int("llama.block_count"), 30)
        XCTAssertEqual(try f.int("llama.embedding_length"), 576)
        XCTAssertEqual(try f.int("llama.feed_forward_length"), 1536)
        XCTAssertEqual(try f.int("llama.attention.head_count"), 9)
        XCTAssertEqual(try f.int("llama.attention.head_count_kv"), 3)
        XCTAssertEqual(try f.double("llama.rope.freq_base"), 100_000)
        XCTAssertEqual(try f.int("llama.vocab_size"), 49152)
        XCTAssertEqual(f["tokenizer.ggml.tokens"]?.stringArray?.count, 49152)
        XCTAssertEqual(f["tokenizer.ggml.merges"]?.stringArray?.count, 48900)
        XCTAssertEqual(f.tensorInfos.count, 272)
        let expected = try Fixture.json("gguf/smollm2.json")
        XCTAssertEqual(expected.count, 4)
        for (name, any) in expected {
            let e = any as! [String: Any]
            let info = try f.info(name)
            XCTAssertEqual(info.type.description, e["type"] as? String, name)
            XCTAssertEqual(info.shape, e["shape"] as? [Int], name)
            let t = try f.tensor(name)
            let values = t.toArray()
            assertClose(Tensor(shape: [32], scalars: Array(values.prefix(32))),
                        Tensor(shape: [32], scalars: (e["first"] as! [NSNumber]).map(\.floatValue)),
                        rtol: 1e-6, atol: 1e-7, name)
            // Sums over the whole tensor in Double: the order of the terms differs from numpy's
            // pairwise sum, hence the tolerance.
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let absSum = values.reduce(0.0) { $0 + Double(Swift.abs($1)) }
            assertClose(sum, (e["sum"] as! NSNumber).doubleValue, rtol: 1e-9, atol: 1e-6, "\(name) sum")
            assertClose(absSum, (e["abs_sum"] as! NSNumber).doubleValue, rtol: 1e-9, atol: 1e-6, "\(name) abs sum")
        }
    }
}
