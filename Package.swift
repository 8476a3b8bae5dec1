// swift-tools-version:5.9
// dprm: a Swift toolkit and scripting REPL for process reward models trained with bi-level
// instance reweighting. One package; one target per layer, dependencies point downwards.
import PackageDescription
import Foundation

/// Release code generation. On x86-64 the release build also targets AVX2 and FMA: the
/// elementwise and row kernels are plain loops that LLVM auto-vectorises, and the default
/// baseline target only has 4-wide SSE2, which measured about half the speed of 8-wide AVX2 on
/// exp and GELU. `haswell` names that feature set (the x86-64-v3 level: every x86 server CPU
/// since 2013, AMD Zen included, and the machines CI and users run on); this toolchain's Clang
/// importer does not accept the name `x86-64-v3`. Swift never fuses a * b + c by itself, so
/// `DPRM_FMA` tells `FastMath.mulAdd` that the hardware instruction exists (another third off
/// GELU and exp). Debug builds (and so the tests) keep the portable baseline.
///
/// When the machine building the package is itself an AMD Zen 4 class CPU (every feature LLVM's
/// `znver4` assumes is listed in /proc/cpuinfo), the release build targets `znver4` instead:
/// LLVM then vectorises the same loops 16 wide with AVX-512, which measured GELU and softmax
/// about 1.5 times faster single-threaded than 8-wide AVX2 (they are bound by arithmetic, and
/// torch's own kernels use AVX-512 there). The loops do the same arithmetic per element, so
/// results are the same bits as the `haswell` build. Such a build runs only on CPUs with those
/// features: set `DPRM_PORTABLE=1` when building for other machines (with `--manifest-cache
/// none`, since SwiftPM caches the evaluated manifest).
let releaseCPU: String = {
    #if os(Linux) && arch(x86_64)
    if ProcessInfo.processInfo.environment["DPRM_PORTABLE"] == "1" { return "haswell" }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          info.contains("AuthenticAMD"),
          let flagLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return "haswell" }
    let flags = Set(flagLine.split(separator: " ").map(String.init))
    // The cpuinfo names of the features `znver4` enables beyond `haswell`.
    let znver4 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi",
                  "avx512_vbmi2", "avx512_vnni", "avx512_bitalg", "avx512_vpopcntdq", "avx512_bf16",
                  "gfni", "vaes", "vpclmulqdq", "sha_ni", "clzero", "sse4a", "adx", "rdseed", "clflushopt",
                  "clwb", "xsavec", "xsaves", "fsgsbase", "rdpid", "fma", "avx2", "bmi2", "movbe"]
    return znver4.allSatisfy(flags.contains) ? "znver4" : "haswell"
    #else
    return "haswell"
    #endif
}()
let optimized: [SwiftSetting] = {
    #if arch(x86_64)
    return [.unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", releaseCPU], .when(configuration: .release)),
            .define("DPRM_FMA", .when(configuration: .release))]
    #else
    return [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
    #endif
}()
// Lang deliberately uses the same settings. `-Xfrontend -assume-single-threaded` (non-atomic
// reference counting) was measured (fib(30) about 10% faster) and rejected: it is only sound if
// no Lang object is ever retained or released on two threads at once, and the REPL's Ctrl-C
// watcher thread calls `Interpreter.requestInterrupt()` while the evaluation thread runs, which
// touches the Interpreter and its Runtime (retains the compiler may emit on either side); a lost
// update there would corrupt a reference count. `-enforce-exclusivity=unchecked` gains nothing:
// the hot paths use pointers and a profile shows no `swift_beginAccess`.

/// Layer targets and what each depends on (system shims and the argument parser included).
/// `Support` is below everything: JSON, CSV, atomic files and the seeded generator, one home each.
/// `PRM` is the process reward model and its evaluation; `Reweight` the bi-level method on top of
/// it; `Experiments` are studies built from both, which only `Stdlib` (and their tests) import.
let layers: [(name: String, deps: [String])] = [
    ("Support", []),
    ("Distributed", ["Support", "CMPI"]),
    ("Tensors", ["Support", "CBLAS"]),
    ("Autodiff", ["Tensors"]),
    ("NN", ["Support", "Tensors", "Autodiff"]),
    ("Datasets", ["Support", "Tensors", "NN", "CPNG"]),
    ("PRM", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "Distributed"]),
    ("Reweight", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "PRM", "Distributed"]),
    ("Experiments", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "PRM", "Reweight"]),
    ("Plotting", ["Support", "CPNG"]),
    ("Lang", ["Support"]),
    ("Stdlib", ["Support", "Lang", "Distributed", "Tensors", "Autodiff", "NN", "Datasets", "PRM", "Reweight", "Experiments", "Plotting"]),
    ("REPL", ["Support", "Lang", "Stdlib", "CReadline"]),
]

/// Test targets: one per layer, next to the layer they test.
let tests: [(name: String, deps: [String])] = [
    ("SupportTests", ["Support"]),
    ("DistributedTests", ["Support", "Distributed"]),
    ("TensorsTests", ["Support", "Tensors"]),
    ("AutodiffTests", ["Support", "Tensors", "Autodiff"]),
    ("NNTests", ["Support", "Tensors", "Autodiff", "NN"]),
    ("DatasetsTests", ["Support", "Tensors", "Datasets"]),
    ("PRMTests", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "PRM"]),
    ("ReweightTests", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "PRM", "Reweight"]),
    ("ExperimentsTests", ["Support", "Tensors", "Autodiff", "NN", "Datasets", "PRM", "Reweight", "Experiments"]),
    ("PlottingTests", ["Plotting", "CPNG"]),
    ("LangTests", ["Lang"]),
    ("StdlibTests", ["Lang", "Stdlib"]),
    ("REPLTests", ["Lang", "Stdlib", "REPL"]),
]

/// True when the folder holds Swift sources: a test target is declared once it has tests.
func hasSources(_ dir: String) -> Bool {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(dir).path
    guard let walker = FileManager.default.enumerator(atPath: root) else { return false }
    return walker.contains { ($0 as? String)?.hasSuffix(".swift") == true }
}

/// `DPRM_TEST_TARGETS=LangTests,PlottingTests swift test` declares only those test targets and
/// the layers they need, so one layer can be built and tested while another is mid-change.
let selected = ProcessInfo.processInfo.environment["DPRM_TEST_TARGETS"].map { Set($0.split(separator: ",").map(String.init)) }
let activeTests = tests.filter { hasSources("Tests/\($0.name)") && (selected?.contains($0.name) ?? true) }
let needed: Set<String>? = selected.map { _ in
    var closure = Set(activeTests.flatMap(\.deps))
    var changed = true
    while changed {
        changed = false
        for layer in layers where closure.contains(layer.name) {
            for d in layer.deps where !closure.contains(d) { closure.insert(d); changed = true }
        }
    }
    return closure
}
func isNeeded(_ name: String) -> Bool { needed?.contains(name) ?? true }

/// Open MPI's include folder is not on the compiler's default path; its pkg-config file
/// (`ompi`, from libopenmpi-dev) names it.
let systemLibraries: [Target] = ["CBLAS", "CReadline", "CPNG", "CMPI"].filter(isNeeded).map {
    .systemLibrary(name: $0, path: "Sources/\($0)", pkgConfig: $0 == "CMPI" ? "ompi" : nil)
}
/// Build plugins by layer: Stdlib embeds the standard library (`stdlib/*.dprm`) in the binary.
let layerPlugins: [String: [Target.PluginUsage]] = ["Stdlib": [.plugin(name: "EmbedStdlib")]]
let layerTargets: [Target] = layers.filter { isNeeded($0.name) }.map {
    .target(name: $0.name, dependencies: $0.deps.map { .target(name: $0) }, swiftSettings: optimized,
            plugins: layerPlugins[$0.name])
}
/// The plugin and the host tool it runs (`stdlib-embed`), declared when Stdlib is.
let embedding: [Target] = isNeeded("Stdlib") ? [
    .executableTarget(name: "stdlib-embed", path: "Sources/stdlib-embed"),
    .plugin(name: "EmbedStdlib", capability: .buildTool(), dependencies: ["stdlib-embed"]),
] : []
let testTargets: [Target] = activeTests.map {
    .testTarget(name: $0.name, dependencies: $0.deps.map { .target(name: $0) })
}
let executable: [Target] = needed == nil ? [
    .executableTarget(name: "dprm", dependencies: [
        "REPL", "Stdlib", "Lang", "Support", "Distributed",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ], swiftSettings: optimized),
    // The in-process fuzz targets (readers, parsers): built with libFuzzer and AddressSanitizer
    // by `scripts/fuzz --libfuzzer`, a replay tool otherwise. Only the layers it fuzzes.
    .executableTarget(name: "dprm-fuzz", dependencies: ["Support", "Tensors", "NN", "Datasets", "Lang"],
                      path: "Sources/dprm-fuzz", swiftSettings: optimized),
] : []

let package = Package(
    name: "dprm",
    products: needed == nil ? [
        .executable(name: "dprm", targets: ["dprm"]),
        .executable(name: "dprm-fuzz", targets: ["dprm-fuzz"]),
        .library(name: "DPRMKit", targets: layers.map(\.name)),
    ] : [],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: systemLibraries + layerTargets + embedding + executable + testTargets
)
