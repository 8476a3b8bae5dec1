import Foundation

/// The most memory one request of a script may allocate at once (`[0] * 1e10`, `"x" * 1e12`,
/// `list(0..1e12)`, `pad("a", 1e12)`, `zeros(...)`): larger requests are a runtime error raised
/// before anything is allocated, instead of an allocation failure that aborts the process and
/// loses the session.
///
/// The default is a quarter of physical memory; `DPRM_MAX_ALLOCATION` (a whole number of bytes,
/// read once at start) sets another. Sizes are computed with checked arithmetic (release builds
/// are -Ounchecked: an overflowing product would wrap to a small, accepted size).
public enum Limits {
    /// Bytes one request may allocate.
    public static let maxAllocationBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["DPRM_MAX_ALLOCATION"], let n = Int(text), n > 0 { return n }
        let quarter = ProcessInfo.processInfo.physicalMemory / 4
        return quarter > UInt64(Int.max) ? Int.max : max(1 << 26, Int(quarter))
    }()

    /// Throws unless `count` items of `bytesEach` bytes fit in `maxAllocationBytes`.
    /// `what` names the request in the message ("list repeat", "pad() width").
    public static func check(_ count: Int, bytesEach: Int, _ what: @autoclosure () -> String) throws {
        guard count > 0 else { return }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(1, bytesEach))
        if overflow || bytes > maxAllocationBytes {
            throw DprmError.runtime("\(what()): \(count) items\(bytesEach > 1 ? " of \(bytesEach) bytes" : "") is more than one request may allocate "
                                    + "(\(maxAllocationBytes) bytes, a quarter of physical memory unless DPRM_MAX_ALLOCATION says otherwise)")
        }
    }

    /// The bytes of one list item (a `Value`).
    public static let valueBytes = MemoryLayout<Value>.stride
}
