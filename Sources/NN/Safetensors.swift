import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Support

/// Element types of a safetensors file that dprm reads; F32/F16/BF16 can also be written.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }
}

/// A checkpoint or safetensors file that cannot be read or written; names the file and the problem.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) { self.path = path; self.problem = problem }
    public var description: String { "\(path): \(problem)" }
}

/// A safetensors file opened by memory-mapping it.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the data; offsets are relative to the end of the header. The whole layout is checked at
/// open (header size, JSON, dtypes, shapes against byte ranges, ranges inside the file), so a bad
/// file fails with an error naming it and the problem. Tensors are converted to Float32 when
/// read (`tensor(_:)`); I64 can also be read exactly (`int64s(_:)`).
public final class SafetensorsFile {
    /// One tensor's header entry.
    public struct Entry: Sendable {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range inside the data section.
        public let begin: Int, end: Int
    }

    public let path: String
    /// The `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// Header entries by tensor name.
    public let entries: [String: Entry]
    /// The mapped file; tensors are read in place from it.
    private let file: MappedFile
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    public init(path: String) throws {
        self.path = path
        do { file = try MappedFile(path: path) } catch let e as FileError { throw CheckpointError(path: path, problem: e.problem) }
        let size = file.count
        guard size >= 8 else { throw CheckpointError(path: path, problem: "truncated: \(size) bytes, not even the 8-byte header length") }
        let map = file.base
        // Compared as UInt64 before any conversion: a hostile length such as 2^64 - 1 would become
        // a negative Int (release builds do not trap on the conversion) and pass a signed check.
        let rawHeaderLength = UInt64(littleEndian: map.loadUnaligned(as: UInt64.self))
        guard rawHeaderLength <= UInt64(size - 8) else {
            throw CheckpointError(path: path, problem: "truncated: header length \(rawHeaderLength) exceeds the \(size - 8) bytes after it")
        }
        let headerLength = Int(rawHeaderLength)
        let headerBytes = UnsafeBufferPointer(start: (map + 8).assumingMemoryBound(to: UInt8.self), count: headerLength)
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(buffer: headerBytes) } catch let e as JSONParseError {
            throw CheckpointError(path: path, problem: "bad header JSON: \(e.location)")
        }
        guard let header = parsed.objectValue else {
            throw CheckpointError(path: path, problem: "bad header JSON: not an object")
        }
        let dataSize = size - 8 - headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            // A later duplicate would silently replace the first (JSON objects may repeat keys).
            guard entries[name] == nil, name != "__metadata__" || metadata.isEmpty else {
                throw CheckpointError(path: path, problem: "bad header: duplicate entry '\(name)'")
            }
            if name == "__metadata__" {
                guard let m = value.objectValue else { throw CheckpointError(path: path, problem: "bad header: __metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v.stringValue else { throw CheckpointError(path: path, problem: "bad header: __metadata__ value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try SafetensorsFile.entry(name, value, dataSize: dataSize, path: path)
        }
        try SafetensorsFile.checkNoOverlap(entries, path: path)
        self.entries = entries
        self.metadata = metadata
        self.dataStart = 8 + headerLength
    }

    static func entry(_ name: String, _ info: JSONValue, dataSize: Int, path: String) throws -> Entry {
        func bad(_ why: String) -> CheckpointError { CheckpointError(path: path, problem: "tensor '\(name)': \(why)") }
        guard info.objectValue != nil else { throw bad("header entry is not an object") }
        guard let dtypeName = info["dtype"]?.stringValue else { throw bad("no dtype") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw bad("unknown dtype '\(dtypeName)'") }
        guard let shapeValue = info["shape"], let dims = shapeValue.arrayValue else { throw bad("no shape") }
        // Every size is computed with checked arithmetic: release builds are -Ounchecked, so an
        // overflowing product (a shape [2^61 + 1, 4]) would wrap to a small size and pass.
        var elements = 1
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            guard let n = d.intValue, n >= 0 else {
                throw bad("bad shape \(shapeValue): dimensions must be whole numbers >= 0 below 2^63")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow else { throw bad("shape \(shapeValue) has more than 2^63 elements") }
            elements = product
            shape.append(n)
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw bad("\(dtype.rawValue) \(shapeValue) needs more than 2^63 bytes") }
        guard let offsets = info["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw bad("data_offsets must be [begin, end], whole numbers below 2^63")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw bad("data_offsets [\(begin), \(end)] out of range (data section has \(dataSize) bytes)")
        }
        guard end - begin == expected else {
            throw bad("data_offsets span \(end - begin) bytes but \(dtype.rawValue) \(Tensor.describe(shape)) needs \(expected)")
        }
        return Entry(dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Two tensors sharing bytes would alias: a write through one (or a fooled reader) changes the
    /// other. The reference format lays tensors end to end; gaps are tolerated, overlaps are not.
    static func checkNoOverlap(_ entries: [String: Entry], path: String) throws {
        let ranges = entries.filter { $0.value.end > $0.value.begin }
            .sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.value.begin < a.value.end {
            throw CheckpointError(path: path, problem: "tensors '\(a.key)' [\(a.value.begin), \(a.value.end)] and '\(b.key)' [\(b.value.begin), \(b.value.end)] overlap")
        }
    }

    func lookup(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            throw CheckpointError(path: path, problem: "no tensor named '\(name)' (has \(entries.count): \(names.prefix(8).joined(separator: ", "))\(entries.count > 8 ? ", ..." : ""))")
        }
        return e
    }

    /// The bytes of a tensor, in the mapping.
    func bytes(_ e: Entry) -> UnsafeRawPointer { file.base + dataStart + e.begin }

    /// The tensor called `name`, converted to Float32 (integers and bools by value).
    public func tensor(_ name: String) throws -> Tensor {
        let e = try lookup(name)
        let out = Tensor(uninitializedShape: e.shape)
        let src = bytes(e)
        let n = out.count
        out.withMutablePointer { d in
            switch e.dtype {
            case .F32: for i in 0..<n { d[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .F64: for i in 0..<n { d[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .F16: for i in 0..<n { d[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
            case .BF16: for i in 0..<n { d[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            case .I64: for i in 0..<n { d[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            case .I32: for i in 0..<n { d[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            case .I16: for i in 0..<n { d[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
            case .I8: for i in 0..<n { d[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
            case .U8: for i in 0..<n { d[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
            case .BOOL: for i in 0..<n { d[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            }
        }
        return out
    }

    /// An integer tensor's exact values (I64, I32, I16, I8, U8, BOOL), row-major.
    public func int64s(_ name: String) throws -> [Int64] {
        let e = try lookup(name)
        let src = bytes(e)
        let n = Tensor.count(of: e.shape)
        switch e.dtype {
        case .I64: return (0..<n).map { Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .I32: return (0..<n).map { Int64(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .I16: return (0..<n).map { Int64(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
        case .I8: return (0..<n).map { Int64(src.load(fromByteOffset: $0, as: Int8.self)) }
        case .U8, .BOOL: return (0..<n).map { Int64(src.load(fromByteOffset: $0, as: UInt8.self)) }
        default: throw CheckpointError(path: path, problem: "tensor '\(name)' is \(e.dtype.rawValue), not an integer type")
        }
    }

    /// Every tensor, converted to Float32.
    public func allTensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in entries.keys { out[name] = try tensor(name) }
        return out
    }
}

/// Builds and writes safetensors files.
public enum Safetensors {
    /// What to store under one name.
    public enum Item {
        /// Float data stored as `dtype` (F32, F16 or BF16; rounding to nearest even).
        case float(Tensor, SafetensorsDType)
        /// Exact 64-bit integers with a shape.
        case int64([Int64], shape: [Int])
    }

    /// Float tensors as one dtype, plus optional `__metadata__`.
    public static func write(_ tensors: [String: Tensor], to path: String, dtype: SafetensorsDType = .F32,
                             metadata: [String: String]? = nil) throws {
        try write(items: tensors.mapValues { .float($0, dtype) }, to: path, metadata: metadata)
    }

    /// Any items, written atomically (temp file, fsync, rename).
    public static func write(items: [String: Item], to path: String, metadata: [String: String]? = nil) throws {
        let bytes = try encode(items: items, metadata: metadata, path: path)
        try bytes.withUnsafeBytes { try AtomicFile.write($0, to: path) }
    }

    /// The file's bytes. Tensors are laid out in name order; the header is padded with spaces to
    /// a multiple of 8 bytes so the data is aligned (as the reference implementation does).
    public static func encode(items: [String: Item], metadata: [String: String]? = nil, path: String = "<memory>") throws -> [UInt8] {
        let names = items.keys.sorted()
        var header = "{"
        var offset = 0
        var parts: [String] = []
        if let m = metadata {
            let fields = m.keys.sorted().map { "\(JSONValue.quote($0)):\(JSONValue.quote(m[$0]!))" }
            parts.append("\"__metadata__\":{" + fields.joined(separator: ",") + "}")
        }
        for name in names {
            guard name != "__metadata__" else { throw CheckpointError(path: path, problem: "'__metadata__' cannot be a tensor name") }
            let (dtype, shape): (SafetensorsDType, [Int])
            switch items[name]! {
            case .float(let t, let d):
                guard [.F32, .F16, .BF16].contains(d) else { throw CheckpointError(path: path, problem: "tensor '\(name)': cannot write floats as \(d.rawValue)") }
                (dtype, shape) = (d, t.shape)
            case .int64(let v, let s):
                guard v.count == Tensor.count(of: s) else { throw CheckpointError(path: path, problem: "tensor '\(name)': \(v.count) integers do not fill shape \(Tensor.describe(s))") }
                (dtype, shape) = (.I64, s)
            }
            let size = Tensor.count(of: shape) * dtype.size
            parts.append("\(JSONValue.quote(name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        // One buffer of the final size, filled through a raw pointer (no per-element appends).
        var out = [UInt8](repeating: 0, count: 8 + headerBytes.count + offset)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes { raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var at = 8 + headerBytes.count
            for name in names {
                switch items[name]! {
                case .float(let t, let d):
                    t.withContiguousPointer { src in
                        let n = t.count
                        switch d {
                        case .F32:
                            for i in 0..<n { raw.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: at + 4 * i, as: UInt32.self) }
                            at += 4 * n
                        case .F16:
                            for i in 0..<n { raw.storeBytes(of: Float16(src[i]).bitPattern.littleEndian, toByteOffset: at + 2 * i, as: UInt16.self) }
                            at += 2 * n
                        default:
                            for i in 0..<n { raw.storeBytes(of: bfloat16Bits(src[i]).littleEndian, toByteOffset: at + 2 * i, as: UInt16.self) }
                            at += 2 * n
                        }
                    }
                case .int64(let v, _):
                    for (i, x) in v.enumerated() { raw.storeBytes(of: x.littleEndian, toByteOffset: at + 8 * i, as: Int64.self) }
                    at += 8 * v.count
                }
            }
        }
        return out
    }

    /// Float32 to bfloat16 bits, rounding to nearest even (as torch); NaN stays a quiet NaN.
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let b = x.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
