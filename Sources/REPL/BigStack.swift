import Foundation

/// Runs work on a thread with a large stack. The interpreter recurses on the native stack (one
/// Swift frame chain per .dprm call) and needs at least 8 MB; secondary threads get far less by
/// default and the main thread's size depends on `ulimit -s`, so the command line runs everything
/// (REPL loop included) on one 64 MB thread and the main thread only waits.
public enum BigStack {
    /// Stack size of the evaluation thread.
    public static let stackSize = 64 << 20

    /// Runs `body` on a fresh thread with a `stackSize` stack and waits for it.
    public static func run<T>(_ body: @escaping () -> T) -> T {
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.name = "dprm-eval"
        thread.start()
        done.wait()
        return result.value!
    }
}

private final class ResultBox<T>: @unchecked Sendable { var value: T?; init() {} }
