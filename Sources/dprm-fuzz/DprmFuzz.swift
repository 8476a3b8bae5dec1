import Foundation

// Two builds of one entry point. With `-D DPRM_LIBFUZZER` (scripts/fuzz --libfuzzer, which also
// instruments every module for coverage and links libFuzzer and AddressSanitizer) `main` hands
// the command line to libFuzzer's driver, which calls the target picked by DPRM_FUZZ_TARGET for
// every input it makes. Without it (every ordinary build, so the harness is compiled and cannot
// rot) `dprm-fuzz TARGET FILE...` runs files through a target: how a finding is replayed.
// libFuzzer's own `main` is not used: SwiftPM links every executable with `main` bound to the
// module's entry point, so the entry point calls the driver instead (`LLVMFuzzerRunDriver`,
// from libclang_rt.fuzzer_no_main).

#if DPRM_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target and harness of this process (a C callback cannot capture them).
nonisolated(unsafe) var fuzzTarget = FuzzTarget.json
nonisolated(unsafe) var fuzzHarness: FuzzHarness?
#endif

@main
struct DprmFuzz {
    static func main() {
        #if DPRM_LIBFUZZER
        let name = ProcessInfo.processInfo.environment["DPRM_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("dprm-fuzz: set DPRM_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        fuzzTarget = target
        fuzzHarness = FuzzHarness()
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzHarness!.run(fuzzTarget, UnsafeBufferPointer(start: data, count: size))
            return 0
        }
        exit(status)
        #else
        let args = Array(CommandLine.arguments.dropFirst())
        guard let first = args.first, let target = FuzzTarget(rawValue: first) else {
            print("usage: dprm-fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            print("Runs each file through the fuzz target as libFuzzer would; see scripts/fuzz --libfuzzer.")
            exit(2)
        }
        let harness = FuzzHarness()
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                exit(1)
            }
            data.withUnsafeBytes { harness.run(target, $0.bindMemory(to: UInt8.self)) }
            print("\(path): ok")
        }
        #endif
    }
}
