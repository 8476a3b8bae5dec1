import Foundation

// stdlib-embed OUTPUT.swift MODULE.dprm...
// Writes a Swift source defining `EmbeddedStdlib.modules` (module name -> source text) from the
// given .dprm files. Run by the EmbedStdlib build plugin; every character outside printable ASCII
// is written as a \u{...} escape, so the generated file is plain ASCII whatever the modules hold.

func swiftLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case " "..."~": out.unicodeScalars.append(scalar)
        default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write("usage: stdlib-embed OUTPUT.swift MODULE.dprm...\n".data(using: .utf8)!)
    exit(64)
}
var entries: [String] = []
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        FileHandle.standardError.write("stdlib-embed: cannot read \(path) as UTF-8\n".data(using: .utf8)!)
        exit(1)
    }
    entries.append("        \(swiftLiteral(url.deletingPathExtension().lastPathComponent)): \(swiftLiteral(text)),")
}
let source = """
// Generated at build time by stdlib-embed from stdlib/*.dprm. Do not edit.

/// The standard library's modules, embedded in the binary: module name -> source text.
enum EmbeddedStdlib {
    static let modules: [String: String] = [
\(entries.isEmpty ? "        :" : entries.joined(separator: "\n"))
    ]
}

"""
do {
    try source.write(toFile: outputPath, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write("stdlib-embed: cannot write \(outputPath): \(error)\n".data(using: .utf8)!)
    exit(1)
}
