/// One reference-counted buffer of `Float`. Views (transpose, slice, reshape of contiguous data)
/// share a storage; kernels read and write through the raw pointer, never through a Swift Array.
public final class TensorStorage {
    /// The first element. Owned by this object; freed in `deinit`.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats allocated.
    public let count: Int

    /// Allocates `count` floats, uninitialised. Callers must write every element before reading.
    public init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    }

    /// Allocates `count` floats, all set to `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit { pointer.deallocate() }
}
