import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Support

/// One tensor's entry in a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// The dimensions as the file lists them: innermost (fastest-varying) first, as ggml's `ne`.
    public let dimensions: [Int]
    /// Byte offset of the data, relative to the start of the file's data section.
    public let offset: Int
    /// Bytes of data (`elementCount / blockSize * typeSize`).
    public let byteCount: Int

    /// The row-major shape dprm's `Tensor` uses: `dimensions` reversed (a ggml matrix with
    /// ne = [576, 1536] is 1536 rows of 576, Tensor shape [1536, 576]).
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF file (version 2 or 3) opened by memory-mapping it: metadata, tensor entries, and
/// Float32 tensors dequantised on request.
///
/// Layout (little-endian): magic `GGUF`, UINT32 version, UINT64 tensor count, UINT64 metadata
/// count; the metadata (key string, UINT32 value type, value; strings are a UINT64 length and
/// UTF-8 bytes; arrays a UINT32 element type, UINT64 count and the elements); the tensor entries
/// (name, UINT32 dimension count, UINT64 per dimension innermost first, UINT32 ggml type, UINT64
/// offset); padding to `general.alignment` (UINT32, default 32); then the data section, in which
/// every tensor's offset is a multiple of the alignment.
///
/// Everything is checked when the file is opened, with checked arithmetic and before any byte is
/// read: each field lies inside the file, counts and lengths fit the bytes that are left, UTF-8
/// is valid, keys and tensor names are unique, dimensions fit an Int and their product does
/// not overflow, a row is a whole number of blocks, offsets are aligned and every tensor's bytes
/// lie inside the data section. A file that fails any check is a `CheckpointError` naming the
/// file and the field or tensor. Tensors of types dprm cannot dequantise open fine; reading one
/// is an error naming its type and the supported ones.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensor entries in file order.
    public let tensorInfos: [GGUFTensorInfo]
    private let tensorIndex: [String: Int]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataOffset: Int
    /// The mapped file; tensor data is read in place from it.
    private let file: MappedFile

    /// The default alignment of the data section and of each tensor.
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    public static let maximumDimensions = 4
    /// Arrays nest at most this deep (each level is a recursion; GGUF files in use nest none).
    static let maximumNesting = 8

    /// Tensor names in file order.
    public var tensorNames: [String] { tensorInfos.map(\.name) }

    public init(path: String) throws {
        self.path = path
        do { file = try MappedFile(path: path) } catch let e as FileError { throw CheckpointError(path: path, problem: e.problem) }
        let size = file.count
        // The fixed header: magic, version, two counts.
        guard size >= 24 else {
            throw CheckpointError(path: path, problem: "truncated: \(size) bytes, a GGUF header needs 24 (magic, version, tensor and metadata counts)")
        }
        let parsed = try GGUFFile.parse(file.base, size: size, path: path)
        version = parsed.version
        metadataKeys = parsed.keys
        metadata = parsed.metadata
        tensorInfos = parsed.tensors
        alignment = parsed.alignment
        dataOffset = parsed.dataOffset
        var index: [String: Int] = [:]
        for (i, t) in parsed.tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    private struct Parsed {
        var version = 0
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        var tensors: [GGUFTensorInfo] = []
        var alignment = GGUFFile.defaultAlignment
        var dataOffset = 0
    }

    private static func parse(_ base: UnsafeRawPointer, size: Int, path: String) throws -> Parsed {
        var r = GGUFByteReader(base: base, count: size, path: path)
        var out = Parsed()
        let magic = try r.u32("magic")
        guard magic == 0x4655_4747 else { // "GGUF" read as a little-endian UInt32
            throw r.error("not a GGUF file: the first 4 bytes are not 'GGUF'")
        }
        let version = try r.u32("version")
        if version.byteSwapped == 2 || version.byteSwapped == 3 {
            throw r.error("a big-endian GGUF file (version \(version.byteSwapped)); dprm reads little-endian GGUF only")
        }
        guard version == 2 || version == 3 else {
            throw r.error("GGUF version \(version) is not supported (dprm reads versions 2 and 3)")
        }
        out.version = Int(version)
        // Each tensor entry takes at least 24 bytes (empty name, no dimensions, type, offset);
        // each metadata entry at least 13 (empty key, type, a one-byte value).
        let tensorCount = try r.count("tensor count", minimumSize: 24)
        let kvCount = try r.count("metadata count", minimumSize: 13)

        for k in 0..<kvCount {
            let key = try r.string("key of metadata entry \(k)")
            guard out.metadata[key] == nil else { throw r.error("metadata key '\(key)' appears twice") }
            let typeAt = r.offset
            let rawType = try r.u32("value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw r.error("metadata '\(key)': unknown value type \(rawType) at offset \(typeAt)")
            }
            out.metadata[key] = try value(of: type, &r, key: key, depth: 0)
            out.keys.append(key)
        }

        if let a = out.metadata["general.alignment"] {
            guard case .uint32(let v) = a else {
                throw r.error("metadata 'general.alignment' must be a UINT32, found \(a.type)")
            }
            guard v != 0, v & (v - 1) == 0 else {
                throw r.error("metadata 'general.alignment' is \(v), not a power of two")
            }
            out.alignment = Int(v)
        }

        var names = Set<String>()
        for t in 0..<tensorCount {
            let name = try r.string("name of tensor \(t)")
            guard names.insert(name).inserted else { throw r.error("tensor '\(name)' appears twice") }
            let nDims = try r.u32("dimension count of tensor '\(name)'")
            guard nDims <= GGUFFile.maximumDimensions else {
                throw r.error("tensor '\(name)': \(nDims) dimensions (ggml allows at most \(GGUFFile.maximumDimensions))")
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let raw = try r.u64("dimension \(d) of tensor '\(name)'")
                guard raw <= UInt64(Int.max) else {
                    throw r.error("tensor '\(name)': dimension \(d) is \(raw)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
                guard !overflow else { throw r.error("tensor '\(name)': the element count of \(dims + [Int(raw)]) overflows") }
                elements = product
                dims.append(Int(raw))
            }
            let rawType = try r.u32("type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw r.error("tensor '\(name)': unknown ggml type \(rawType)")
            }
            let row = dims.first ?? 1
            guard row % type.blockSize == 0 else {
                throw r.error("tensor '\(name)': rows of \(row) elements are not a whole number of \(type) blocks (\(type.blockSize) elements each)")
            }
            let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
            guard !overflow else { throw r.error("tensor '\(name)': its byte count overflows") }
            let offsetRaw = try r.u64("data offset of tensor '\(name)'")
            guard offsetRaw <= UInt64(Int.max) else { throw r.error("tensor '\(name)': data offset \(offsetRaw) is out of range") }
            let offset = Int(offsetRaw)
            guard offset % out.alignment == 0 else {
                throw r.error("tensor '\(name)': data offset \(offset) is not a multiple of the alignment \(out.alignment)")
            }
            out.tensors.append(GGUFTensorInfo(name: name, type: type, dimensions: dims, offset: offset, byteCount: bytes))
        }

        // The data section starts at the next multiple of the alignment. `r.offset <= size`, so
        // adding less than the alignment (at most 2^31) cannot overflow.
        let pad = (out.alignment - r.offset % out.alignment) % out.alignment
        out.dataOffset = r.offset + pad
        let dataSize = max(0, size - out.dataOffset)
        for t in out.tensors {
            // offset <= dataSize first, so dataSize - offset is the room left and nothing overflows.
            guard t.offset <= dataSize, t.byteCount <= dataSize - t.offset else {
                throw r.error("tensor '\(t.name)': its \(t.byteCount) bytes at data offset \(t.offset) run past the end of the file "
                              + "(the data section has \(dataSize) bytes from file offset \(out.dataOffset))")
            }
        }
        return out
    }

    private static func value(of type: GGUFValueType, _ r: inout GGUFByteReader, key: String, depth: Int) throws -> GGUFValue {
        let what = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try r.fixed(UInt8.self, what))
        case .int8: return .int8(try r.fixed(Int8.self, what))
        case .uint16: return .uint16(try r.fixed(UInt16.self, what))
        case .int16: return .int16(try r.fixed(Int16.self, what))
        case .uint32: return .uint32(try r.fixed(UInt32.self, what))
        case .int32: return .int32(try r.fixed(Int32.self, what))
        case .uint64: return .uint64(try r.fixed(UInt64.self, what))
        case .int64: return .int64(try r.fixed(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try r.u32(what)))
        case .float64: return .float64(Double(bitPattern: try r.u64(what)))
        case .bool:
            let at = r.offset
            let b = try r.fixed(UInt8.self, what)
            guard b <= 1 else { throw r.error("metadata '\(key)': BOOL byte \(b) at offset \(at) is neither 0 nor 1") }
            return .bool(b == 1)
        case .string: return .string(try r.string(what))
        case .array:
            guard depth < maximumNesting else {
                throw r.error("metadata '\(key)': arrays nested more than \(maximumNesting) deep")
            }
            let typeAt = r.offset
            let rawType = try r.u32("element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw r.error("metadata '\(key)': unknown array element type \(rawType) at offset \(typeAt)")
            }
            let n = try r.count("element count of '\(key)'", minimumSize: elementType.minimumSize)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for i in 0..<n {
                if elementType == .string {
                    items.append(.string(try r.string("element \(i) of '\(key)'")))
                } else {
                    items.append(try value(of: elementType, &r, key: key, depth: depth + 1))
                }
            }
            return .array(elementType, items)
        }
    }

    // MARK: Tensors

    /// The entry of tensor `name`; the error lists some of the names the file has.
    public func info(_ name: String) throws -> GGUFTensorInfo {
        guard let i = tensorIndex[name] else {
            let names = tensorNames
            throw CheckpointError(path: path, problem: "no tensor named '\(name)' (has \(names.count): \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", ..." : ""))")
        }
        return tensorInfos[i]
    }

    /// The bytes of a tensor, inside the mapping (valid while this file object lives).
    public func rawBytes(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: file.base + dataOffset + info.offset, count: info.byteCount)
    }

    /// Tensor `name` dequantised to Float32, in the row-major shape (`GGUFTensorInfo.shape`).
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try info(name)
        guard entry.type.isDequantizable else {
            throw CheckpointError(path: path, problem: "tensor '\(name)' is \(entry.type), which dprm cannot dequantise "
                                  + "(supported: \(GGMLType.dequantizable.map(\.description).joined(separator: ", ")))")
        }
        let out = Tensor(uninitializedShape: entry.shape)
        out.withMutablePointer { GGUFDequantizer.dequantize(entry.type, from: rawBytes(entry), count: entry.elementCount, into: $0) }
        return out
    }

    /// A metadata value, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// A required integer metadata value; the error names the key and what was found.
    public func int(_ key: String) throws -> Int {
        guard let v = metadata[key] else { throw CheckpointError(path: path, problem: "no metadata '\(key)'") }
        guard let i = v.intValue else { throw CheckpointError(path: path, problem: "metadata '\(key)' is \(v.type), not an integer") }
        return i
    }

    /// A required string metadata value.
    public func string(_ key: String) throws -> String {
        guard let v = metadata[key] else { throw CheckpointError(path: path, problem: "no metadata '\(key)'") }
        guard let s = v.stringValue else { throw CheckpointError(path: path, problem: "metadata '\(key)' is \(v.type), not a string") }
        return s
    }

    /// A required floating-point metadata value (FLOAT32, FLOAT64 or an integer).
    public func double(_ key: String) throws -> Double {
        guard let v = metadata[key] else { throw CheckpointError(path: path, problem: "no metadata '\(key)'") }
        guard let d = v.doubleValue else { throw CheckpointError(path: path, problem: "metadata '\(key)' is \(v.type), not a number") }
        return d
    }
}
