import Foundation
import Support

/// Writes `text` atomically (Support's `AtomicFile`: temporary file beside it, fsync, rename),
/// so readers never see half a file; failures are language errors naming the path.
public func atomicWrite(_ text: String, to path: String) throws {
    do { try AtomicFile.write(text, to: path) } catch let e as FileError {
        throw DprmError.runtime(e.description)
    }
}

func readText(_ path: String, _ who: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else { throw DprmError.runtime("\(who)(): file not found: '\(path)'") }
    guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { throw DprmError.runtime("\(who)(): cannot read '\(path)' as UTF-8 text") }
    return s
}

extension Interpreter {
    func coreIO() -> [Builtin] {
        [
            Builtin("read_file", "read_file(path)", "The whole file as a string.") { a in .string(try readText(try a.string(0, "path"), "read_file")) },
            Builtin("write_file", "write_file(path, text)", "Writes text to a file atomically (temp file + rename).") { a in
                try atomicWrite(try a.value(1, "text").description, to: try a.string(0, "path")); return .nil
            },
            Builtin("append_file", "append_file(path, text)", "Appends text to a file (creating it).") { a in
                let path = try a.string(0, "path"), text = try a.value(1, "text").description
                if let h = FileHandle(forWritingAtPath: path) {
                    h.seekToEndOfFile(); h.write(text.data(using: .utf8)!); h.closeFile()
                } else { try atomicWrite(text, to: path) }
                return .nil
            },
            Builtin("read_json", "read_json(path)", "Parses a JSON file (objects become dicts in file order).") { a in
                let path = try a.string(0, "path")
                return try JSON.parse(try readText(path, "read_json"), source: path)
            },
            Builtin("write_json", "write_json(path, value, indent: 2)", "Writes a value as JSON atomically.") { a in
                let indent = try a.int(nil, "indent", default: 2)
                try atomicWrite(try JSON.stringify(try a.value(1, "value"), indent: indent > 0 ? indent : nil) + "\n", to: try a.string(0, "path"))
                return .nil
            },
            Builtin("json_parse", "json_parse(text)", "Parses JSON text.") { a in try JSON.parse(try a.string(0, "text")) },
            Builtin("json_string", "json_string(value, indent: 0)", "A value as JSON text (one line unless indent > 0).") { a in
                let indent = try a.int(nil, "indent", default: 0)
                return .string(try JSON.stringify(try a.value(0, "value"), indent: indent > 0 ? indent : nil))
            },
            Builtin("read_csv", "read_csv(path, header: true)", "Rows of a CSV file: dicts keyed by the header (or lists); numeric fields become numbers.") { a in
                let path = try a.string(0, "path")
                let rows = CSV.parse(try readText(path, "read_csv"))
                func cell(_ s: String) -> Value { Double(s).map { .number($0) } ?? .string(s) }
                guard try a.bool(nil, "header", default: true) else { return .list(rows.map { .list($0.map(cell)) }) }
                guard let head = rows.first else { return .list([]) }
                var out: [Value] = []
                for (n, r) in rows.dropFirst().enumerated() {
                    guard r.count == head.count else {
                        throw DprmError.runtime("read_csv(): \(path) row \(n + 2) has \(r.count) fields, the header has \(head.count)")
                    }
                    out.append(.dict(DictRef(zip(head, r.map(cell)).map { ($0, $1) })))
                }
                return .list(out)
            },
            Builtin("write_csv", "write_csv(path, rows, columns: nil)", "Writes a list of dicts (columns from the first row unless given) or of lists, atomically.") { a in
                let path = try a.string(0, "path")
                let rows = try a.sequence(1, "rows")
                var lines: [String] = []
                var columns: [String]? = try a.optional(2, "columns").map { try a.interpreter.iterate($0).map { $0.description } }
                if columns == nil, case .dict(let d)? = rows.first { columns = d.keys }
                if let cols = columns { lines.append(cols.map(CSV.quote).joined(separator: ",")) }
                for (n, r) in rows.enumerated() {
                    switch r {
                    case .dict(let d):
                        guard let cols = columns else { throw DprmError.runtime("write_csv(): row \(n + 1) is a dict but no columns are known") }
                        lines.append(cols.map { CSV.quote(d[$0]?.description ?? "") }.joined(separator: ","))
                    case .list(let l): lines.append(l.items.map { CSV.quote($0.description) }.joined(separator: ","))
                    default: throw DprmError.type("write_csv(): row \(n + 1) must be a dict or list, got \(r.typeName)")
                    }
                }
                try atomicWrite(lines.joined(separator: "\n") + "\n", to: path)
                return .nil
            },
            Builtin("path_join", "path_join(...parts)", "Joins path parts with '/'.") { a in
                let parts = try (0..<a.count).map { try a.string($0, "part") }
                var out = ""
                for p in parts where !p.isEmpty {
                    if p.hasPrefix("/") || out.isEmpty { out = p } else { out += (out.hasSuffix("/") ? "" : "/") + p }
                }
                return .string(out)
            },
            Builtin("basename", "basename(path)", "The last component of a path.") { a in .string(URL(fileURLWithPath: try a.string(0, "path")).lastPathComponent) },
            Builtin("dirname", "dirname(path)", "The path without its last component.") { a in
                let p = try a.string(0, "path")
                guard let r = p.range(of: "/", options: .backwards) else { return .string(".") }
                return .string(r.lowerBound == p.startIndex ? "/" : String(p[..<r.lowerBound]))
            },
            Builtin("exists", "exists(path)", "Whether a file or folder exists.") { a in .bool(FileManager.default.fileExists(atPath: try a.string(0, "path"))) },
            Builtin("list_dir", "list_dir(path)", "Sorted names of the entries of a folder.") { a in
                let p = try a.string(0, "path")
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: p) else { throw DprmError.runtime("list_dir(): cannot list '\(p)'") }
                return .list(names.sorted().map { .string($0) })
            },
            Builtin("make_dir", "make_dir(path)", "Creates a folder and its parents (no error if it exists).") { a in
                let p = try a.string(0, "path")
                do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) }
                catch { throw DprmError.runtime("make_dir(): cannot create '\(p)': \(error.localizedDescription)") }
                return .nil
            },
            Builtin("env", "env(name, default: nil)", "An environment variable, or the default.") { a in
                ProcessInfo.processInfo.environment[try a.string(0, "name")].map { .string($0) } ?? (a.optional(1, "default") ?? .nil)
            },
            Builtin("time", "time()", "Seconds since 1970 (wall clock).") { _ in .number(Date().timeIntervalSince1970) },
            Builtin("clock", "clock()", "Monotonic seconds, for measuring durations.") { _ in
                var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts)
                return .number(Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
            },
            Builtin("sleep", "sleep(seconds)", "Pauses (interruptible).") { a in
                var left = try a.number(0, "seconds")
                while left > 0 {
                    try a.interpreter.checkInterrupt()
                    let step = min(left, 0.05); usleep(UInt32(step * 1e6)); left -= step
                }
                return .nil
            },
        ]
    }

    func coreRandom() -> [Builtin] {
        [
            Builtin("seed", "seed(n)", "Reseeds the generator behind random, randint, shuffle, choice, normal.") { a in
                a.interpreter.random = RandomGenerator(seed: UInt64(bitPattern: Int64(try a.int(0, "n")))); return .nil
            },
            Builtin("random", "random()", "A uniform number in [0, 1).") { a in .number(a.interpreter.random.uniform()) },
            Builtin("randint", "randint(a, b)", "A uniform whole number in [a, b] (both included).") { a in
                let lo = try a.int(0, "a"), hi = try a.int(1, "b")
                guard lo <= hi else { throw DprmError.runtime("randint(): a (\(lo)) must be <= b (\(hi))") }
                return .int(Int.random(in: lo...hi, using: &a.interpreter.random))
            },
            Builtin("normal", "normal(mean: 0, std: 1)", "A normally distributed number (Box-Muller).") { a in
                let m = try a.number(0, "mean", default: 0), s = try a.number(1, "std", default: 1)
                let u1 = max(a.interpreter.random.uniform(), 1e-300), u2 = a.interpreter.random.uniform()
                return .number(m + s * sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2))
            },
            Builtin("shuffle", "shuffle(list)", "Shuffles a list in place (Fisher-Yates); returns it.") { a in
                let l = try a.list(0, "list")
                if l.items.count > 1 {
                    for i in stride(from: l.items.count - 1, to: 0, by: -1) {
                        let j = Int.random(in: 0...i, using: &a.interpreter.random)
                        l.items.swapAt(i, j)
                    }
                }
                return .list(l)
            },
            Builtin("choice", "choice(list)", "A uniformly chosen item.") { a in
                let xs = try a.sequence(0, "list")
                guard !xs.isEmpty else { throw DprmError.runtime("choice() from an empty list") }
                return xs[Int.random(in: 0..<xs.count, using: &a.interpreter.random)]
            },
        ]
    }
}
