import Foundation
@testable import NN

/// Builds GGUF files byte by byte, so a test can write exactly the (valid or hostile) field it
/// means and knows where each field sits (`marks`).
struct GGUFBuilder {
    var bytes: [UInt8] = []
    /// Offsets of fields, by a name the test picks.
    var marks: [String: Int] = [:]

    mutating func mark(_ name: String) { marks[name] = bytes.count }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }

    /// Magic, version and the two counts.
    mutating func header(tensors: UInt64, kvs: UInt64, version: UInt32 = 3) {
        bytes += Array("GGUF".utf8)
        mark("version"); u32(version)
        mark("tensor count"); u64(tensors)
        mark("kv count"); u64(kvs)
    }

    /// A metadata entry: key, type, then `value` writes the value.
    mutating func kv(_ key: String, _ type: GGUFValueType, _ value: (inout GGUFBuilder) -> Void) {
        mark("key " + key); string(key)
        mark("type " + key); u32(type.rawValue)
        mark("value " + key); value(&self)
    }

    /// A tensor entry.
    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        mark("tensor " + name); string(name)
        mark("ndims " + name); u32(UInt32(dims.count))
        mark("dims " + name); for d in dims { u64(d) }
        mark("ggml type " + name); u32(type)
        mark("offset " + name); u64(offset)
    }

    /// Overwrites 8 bytes at `mark` with `value`.
    mutating func patch64(_ mark: String, _ value: UInt64, plus extra: Int = 0) {
        let at = marks[mark]! + extra
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[at + i] = b } }
    }

    mutating func patch32(_ mark: String, _ value: UInt32, plus extra: Int = 0) {
        let at = marks[mark]! + extra
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[at + i] = b } }
    }

    /// A small valid file: general.alignment 32, a string, an array of strings, and two F32
    /// tensors `w` ([2, 8] row-major: dims [8, 2]) and `v` (dims [4]).
    static func small() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.header(tensors: 2, kvs: 3)
        b.kv("general.alignment", .uint32) { $0.u32(32) }
        b.kv("general.name", .string) { $0.string("tiny") }
        b.kv("tokens", .array) { b in
            b.mark("element type tokens"); b.u32(GGUFValueType.string.rawValue)
            b.mark("count tokens"); b.u64(2)
            b.mark("first token"); b.string("a"); b.string("bc")
        }
        b.tensorInfo("w", dims: [8, 2], type: GGMLType.f32.rawValue, offset: 0)
        b.tensorInfo("v", dims: [4], type: GGMLType.f32.rawValue, offset: 64)
        b.pad(to: 32)
        b.mark("data")
        for i in 0..<16 { b.u32(Float(i).bitPattern) }
        for i in 0..<4 { b.u32(Float(100 + i).bitPattern) }
        return b
    }

    func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
