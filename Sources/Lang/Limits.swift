import Foundation

/// The most memory one request of a script may allocate at once (`[0] * 1e10`, `"x" * 1e12`,
/// `list(0..1e12)`, `pad("a", 1e12)`, `zeros(...)`): larger requests are a runtime error raised
/// before anything is allocated, instead of an allocation failure that aborts the process and
/// loses the session.
///
/// The default is a quarter of physical memory, or of the address-space limit (`ulimit -v`) when
/// that is lower; `DPRM_MAX_ALLOCATION` (a whole number of bytes, read once at start) sets another. Sizes are computed with checked arithmetic (release builds
/// are -Ounchecked: an overflowing product would wrap to a small, accepted size).
public enum Limits {
    /// Bytes one request may allocate.
    public static let maxAllocationBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["DPRM_MAX_ALLOCATION"], let n = Int(text), n > 0 { return n }
        var quarter = ProcessInfo.processInfo.physicalMemory / 4
        // Under an address-space limit (`ulimit -v`, the fuzzer's 4 GB) a quarter of that: a
        // request the limit cannot hold would abort the process instead of raising an error.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {  // RLIM_INFINITY, all ones
            quarter = min(quarter, UInt64(limit.rlim_cur) / 4)
        }
        return quarter > UInt64(Int.max) ? Int.max : max(1 << 26, Int(quarter))
    }()

    /// Throws unless `count` items of `bytesEach` bytes fit in `maxAllocationBytes`.
    /// `what` names the request in the message ("list repeat", "pad() width").
    public static func check(_ count: Int, bytesEach: Int, _ what: @autoclosure () -> String) throws {
        guard count > 0 else { return }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(1, bytesEach))
        if overflow || bytes > maxAllocationBytes {
            throw DprmError.runtime("\(what()): \(count) items\(bytesEach > 1 ? " of \(bytesEach) bytes" : "") is more than one request may allocate "
                                    + "(\(maxAllocationBytes) bytes, a quarter of physical memory or of the address-space limit, unless DPRM_MAX_ALLOCATION says otherwise)")
        }
    }

    /// The bytes of one list item (a `Value`).
    public static let valueBytes = MemoryLayout<Value>.stride
}
