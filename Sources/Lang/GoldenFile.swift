import Foundation

/// A `.dprm` golden file: a script whose comments pin its behaviour. `# expect: <line>` gives the
/// printed lines in order; `# expect error: <substring>` says the run must fail with a rendered
/// diagnostic containing the substring (without one, the run must succeed). The golden test
/// runners of every layer use this one reader.
public struct GoldenFile {
    public let path: String
    public let expectedLines: [String]
    public let expectedErrors: [String]

    /// Reads the expectations of the file at `path`.
    public init(path: String) throws {
        self.path = path
        var lines: [String] = [], errors: [String] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n") {
            guard let r = line.range(of: "# expect") else { continue }
            let rest = line[r.upperBound...]
            if rest.hasPrefix(" error: ") { errors.append(String(rest.dropFirst(8))) }
            else if rest.hasPrefix(": ") { lines.append(String(rest.dropFirst(2))) }
            else if rest.hasPrefix(":") { lines.append("") }
        }
        expectedLines = lines
        expectedErrors = errors
    }

    /// Every `.dprm` file of `folder` (not those starting with `_`), sorted.
    public static func all(in folder: String) throws -> [GoldenFile] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".dprm") && !$0.hasPrefix("_") }.sorted()
            .map { try GoldenFile(path: folder + "/" + $0) }
    }

    /// Runs the file in the interpreter `make` builds around an output sink, and returns what
    /// differs from the expectations (empty when the file passes).
    public func check(_ make: (@escaping (String) -> Void) -> Interpreter) -> [String] {
        let name = URL(fileURLWithPath: path).lastPathComponent
        var out = ""
        let interpreter = make { out += $0 }
        var failure: DprmError?
        do { _ = try interpreter.run(file: path) } catch let e as DprmError { failure = e } catch {
            return ["\(name): \(error)"]
        }
        var problems: [String] = []
        var printed = out.components(separatedBy: "\n")
        if printed.last == "" { printed.removeLast() }
        if printed != expectedLines {
            problems.append("\(name): printed output differs\nexpected: \(expectedLines)\nprinted:  \(printed)")
        }
        switch (expectedErrors.isEmpty, failure) {
        case (true, let f?): problems.append("\(name): unexpected error:\n\(f.render())")
        case (false, nil): problems.append("\(name): expected an error containing \(expectedErrors)")
        case (false, let f?):
            let rendered = f.render()
            for e in expectedErrors where !rendered.contains(e) {
                problems.append("\(name): error does not contain \"\(e)\":\n\(rendered)")
            }
        case (true, nil): break
        }
        return problems
    }
}
