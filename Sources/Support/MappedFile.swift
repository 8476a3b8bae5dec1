import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only into memory (weights files: safetensors, GGUF), so tensors are
/// read in place without copying the file. The mapping lives as long as this object; readers
/// keep it and hand out pointers into `bytes` that are valid while they live.
public final class MappedFile {
    public let path: String
    /// The file's bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, .read, problem: "cannot open: \(AtomicFile.errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, .read, problem: "cannot stat: \(AtomicFile.errnoText())") }
        let size = Int(st.st_size)
        guard size > 0 else {
            // mmap refuses a length of 0; an empty file is simply no bytes.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw FileError(path: path, .read, problem: "mmap failed: \(AtomicFile.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: map, count: size)
        mapped = true
    }

    /// Number of bytes.
    public var count: Int { bytes.count }

    /// The address of the first byte (only for non-empty files).
    public var base: UnsafeRawPointer { bytes.baseAddress! }

    deinit { if mapped { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count) } }
}
