import Foundation
import PackagePlugin

/// Embeds the standard library (`stdlib/*.dprm` at the package root) in the target it is applied
/// to (Stdlib): at build time the `stdlib-embed` tool turns the files into one Swift source that
/// defines `EmbeddedStdlib.modules`, so a copied or installed `dprm` binary needs no files beside
/// it. The command lists every module as an input, so editing one rebuilds it.
@main
struct EmbedStdlib: BuildToolPlugin {
    // The package's tools version (5.9) offers the `Path`-based plugin API; the `URL` one needs 6.0.
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directory.appending("stdlib")
        let modules = try FileManager.default.contentsOfDirectory(atPath: folder.string)
            .filter { $0.hasSuffix(".dprm") }.sorted()
            .map { folder.appending($0) }
        let output = context.pluginWorkDirectory.appending("EmbeddedStdlib.swift")
        return [.buildCommand(displayName: "Embedding the dprm standard library (\(modules.count) modules)",
                              executable: try context.tool(named: "stdlib-embed").path,
                              arguments: [output.string] + modules.map(\.string),
                              inputFiles: modules, outputFiles: [output])]
    }
}
