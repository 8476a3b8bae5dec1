// swift-tools-version:5.9
// dprm: a Swift toolkit and scripting REPL for process reward models trained with bi-level
// instance reweighting. One package; one target per layer (see docs/DESIGN notes in README).
import PackageDescription
import Foundation

/// A test target is declared once its folder holds Swift sources, so a layer can land before its tests.
func hasSources(_ dir: String) -> Bool {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(dir).path
    guard let walker = FileManager.default.enumerator(atPath: root) else { return false }
    return walker.contains { ($0 as? String)?.hasSuffix(".swift") == true }
}

let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

// Tests sit next to the layer they test.
let testTargets: [Target] = [
    .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
    .testTarget(name: "AutodiffTests", dependencies: ["Tensors", "Autodiff"]),
    .testTarget(name: "NNTests", dependencies: ["Tensors", "Autodiff", "NN"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Tensors", "Datasets"]),
    .testTarget(name: "ReweightTests", dependencies: ["Tensors", "Autodiff", "NN", "Datasets", "Reweight"]),
    .testTarget(name: "PlottingTests", dependencies: ["Plotting", "CPNG"]),
    .testTarget(name: "LangTests", dependencies: ["Lang"]),
    .testTarget(name: "StdlibTests", dependencies: ["Lang", "Stdlib"]),
    .testTarget(name: "REPLTests", dependencies: ["Lang", "Stdlib", "REPL"]),
].filter { hasSources("Tests/\($0.name)") }

let package = Package(
    name: "dprm",
    products: [
        .executable(name: "dprm", targets: ["dprm"]),
        .library(name: "DPRMKit", targets: ["Tensors", "Autodiff", "NN", "Datasets", "Reweight", "Plotting", "Lang", "Stdlib", "REPL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System-library shims (Debian packages installed by scripts/setup).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),

        // Numeric layers.
        .target(name: "Tensors", dependencies: ["CBLAS"], swiftSettings: optimized),
        .target(name: "Autodiff", dependencies: ["Tensors"], swiftSettings: optimized),
        .target(name: "NN", dependencies: ["Tensors", "Autodiff"], swiftSettings: optimized),
        .target(name: "Datasets", dependencies: ["Tensors", "CPNG"], swiftSettings: optimized),
        .target(name: "Reweight", dependencies: ["Tensors", "Autodiff", "NN", "Datasets"], swiftSettings: optimized),
        .target(name: "Plotting", dependencies: ["CPNG"], swiftSettings: optimized),

        // Language layers.
        .target(name: "Lang", swiftSettings: optimized),
        .target(name: "Stdlib", dependencies: ["Lang", "Tensors", "Autodiff", "NN", "Datasets", "Reweight", "Plotting"], swiftSettings: optimized),
        .target(name: "REPL", dependencies: ["Lang", "Stdlib", "CReadline"], swiftSettings: optimized),
        .executableTarget(name: "dprm", dependencies: [
            "REPL", "Stdlib", "Lang",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimized),

    ] + testTargets
)

