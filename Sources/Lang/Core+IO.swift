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
    // Support's one rule for text files: a byte-order mark skipped, invalid UTF-8 an error at its offset.
    do { return try UTF8Text.read(path: path) } catch let e as FileError { throw DprmError.runtime("\(who)(): \(e.description)") }
}

extension Interpreter {
    func coreIO() -> [Builtin] {
        [
            Builtin("read_file", parameters: [
                    .positional("path", "string", "the file path"),
                ], "The whole file as a string.",
                help: """
                The whole file as a string (UTF-8). A relative path is relative to the working directory.
                A missing file, or one that is not UTF-8 text, is a runtime error naming the path.
                """,
                example: #"""
                write_file("/tmp/dprm-example-read_file.txt", "hello\n")
                read_file("/tmp/dprm-example-read_file.txt")      # "hello\n"
                """#) { a in .string(try readText(try a.string(0, "path"), "read_file")) },
            Builtin("write_file", parameters: [
                    .positional("path", "string", "the file path"),
                    .positional("text", "any value", "the text written (other values: their printed form)"),
                ], "Writes text to a file atomically (temp file + rename).",
                help: """
                Writes the printed form of `text` (a string as is; numbers, lists, ... as `str` gives them)
                to the file, replacing it. The write is atomic: a temporary file in the same folder is
                renamed over the target, so readers see the old or the new content, never a half file.
                The folder must exist (see `make_dir`), else a runtime error naming it. No line break is
                added.
                """,
                example: #"""
                write_file("/tmp/dprm-example-write_file.txt", "line 1\n")
                """#) { a in
                try atomicWrite(try a.value(1, "text").description, to: try a.string(0, "path")); return .nil
            },
            Builtin("append_file", parameters: [
                    .positional("path", "string", "the file path"),
                    .positional("text", "any value", "the text appended (other values: their printed form)"),
                ], "Appends text to a file (creating it).",
                help: """
                Appends the printed form of `text` to the end of the file, creating the file when it does
                not exist (its folder must exist). Unlike `write_file` the append is not atomic; use it
                for logs. No line break is added.
                """,
                example: #"""
                let log = "/tmp/dprm-example-append_file.log"
                write_file(log, "")
                append_file(log, "step 1\n")
                append_file(log, "step 2\n")
                lines(read_file(log))        # ["step 1", "step 2"]
                """#) { a in
                let path = try a.string(0, "path"), text = try a.value(1, "text").description
                if let h = FileHandle(forWritingAtPath: path) {
                    h.seekToEndOfFile(); h.write(text.data(using: .utf8)!); h.closeFile()
                } else { try atomicWrite(text, to: path) }
                return .nil
            },
            Builtin("read_json", parameters: [
                    .positional("path", "string", "the file path"),
                ], "Parses a JSON file (objects become dicts in file order).",
                help: """
                Reads and parses a JSON file: objects become dicts (keys in file order), arrays lists,
                numbers numbers, true/false bools, null nil. A missing file or malformed JSON is a runtime
                error naming the file and the position.
                """,
                example: #"""
                write_json("/tmp/dprm-example-read_json.json", {lr: 0.1, layers: [64, 32]})
                let cfg = read_json("/tmp/dprm-example-read_json.json")
                cfg.layers[0]       # 64
                """#) { a in
                let path = try a.string(0, "path")
                return try JSON.parse(try readText(path, "read_json"), source: path)
            },
            Builtin("write_json", parameters: [
                    .positional("path", "string", "the file path"),
                    .positional("value", "any value", "the value written as JSON"),
                    .keyword("indent", "whole number", default: 2, "spaces per nesting level (0: one line)"),
                ], "Writes a value as JSON atomically.",
                help: """
                Writes the value as JSON followed by a line break, atomically (temporary file + rename).
                `indent:` spaces per level (default 2; 0 writes one line). Dicts keep their key order,
                ranges become arrays, inf and nan become null. Functions and native objects cannot be
                written (a type error); convert a tensor with t.tolist() first.
                """,
                example: #"""
                write_json("/tmp/dprm-example-write_json.json", {run: "a", losses: [0.5, 0.25]})
                write_json("/tmp/dprm-example-write_json-compact.json", [1, 2], indent: 0)
                """#) { a in
                let indent = try a.int(nil, "indent")
                try atomicWrite(try JSON.stringify(try a.value(1, "value"), indent: indent > 0 ? indent : nil) + "\n", to: try a.string(0, "path"))
                return .nil
            },
            Builtin("json_parse", parameters: [
                    .positional("text", "string", "JSON text (NaN and Infinity accepted)"),
                ], "Parses JSON text.",
                help: """
                Parses JSON text into values like `read_json` (objects become dicts in order, null nil).
                Malformed text, or anything after the value, is a runtime error with the position.
                """,
                example: #"""
                json_parse('{"a": [1, 2, null]}')     # {a: [1, 2, nil]}
                """#) { a in try JSON.parse(try a.string(0, "text")) },
            Builtin("json_string", parameters: [
                    .positional("value", "any value", "the value written as JSON"),
                    .keyword("indent", "whole number", default: 0, "spaces per nesting level (0: one line)"),
                ], "A value as JSON text (one line unless indent > 0).",
                help: """
                The value as JSON text: one line by default, or with `indent:` spaces per level. Same
                rules as `write_json` (inf and nan become null; functions and natives are a type error).
                """,
                example: #"""
                json_string({a: 1, b: [true, nil]})     # '{"a":1,"b":[true,null]}'
                json_string([1], indent: 2)
                """#) { a in
                let indent = try a.int(nil, "indent")
                return .string(try JSON.stringify(try a.value(0, "value"), indent: indent > 0 ? indent : nil))
            },
            Builtin("read_csv", parameters: [
                    .positional("path", "string", "the file path"),
                    .keyword("header", "bool", default: .bool(true), "whether the first row names the columns (rows become dicts)"),
                ], "Rows of a CSV file: dicts keyed by the header (or lists); numeric fields become numbers.",
                help: """
                Parses an RFC 4180 CSV file (quoted fields may hold commas, "" for a quote, line breaks).
                With header: true (default) the first row names the columns and each later row becomes
                a dict; a row with a different number of fields is a runtime error naming the file and
                row. With header: false every row is a list. Fields that parse as numbers become numbers,
                all others (including empty fields) stay strings.
                """,
                example: #"""
                write_file("/tmp/dprm-example-read_csv.csv", "name,loss\na,0.5\n\"b, c\",0.25\n")
                let rows = read_csv("/tmp/dprm-example-read_csv.csv")
                rows[1].name          # "b, c"
                rows[0].loss + 1      # 1.5
                read_csv("/tmp/dprm-example-read_csv.csv", header: false)[0]     # ["name", "loss"]
                """#) { a in
                let path = try a.string(0, "path")
                let rows = CSV.parse(try readText(path, "read_csv"))
                func cell(_ s: String) -> Value { Double(s).map { .number($0) } ?? .string(s) }
                guard try a.bool(nil, "header") else { return .list(rows.map { .list($0.map(cell)) }) }
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
            Builtin("write_csv", parameters: [
                    .positional("path", "string", "the file path"),
                    .positional("rows", "list or iterable", "the rows: lists of fields, or dicts keyed by column"),
                    .positional("columns", "any value", optional: true, "the column order and header (dict rows: their first row's keys by default)"),
                ], "Writes a list of dicts (columns from the first row unless given) or of lists, atomically.",
                help: """
                Writes rows as CSV atomically. Rows that are dicts are written under a header line: the
                `columns:` given (a list of names, also picking and ordering them), else the keys of the
                first row; a missing key writes an empty field. Rows that are lists are written as they
                are (a header only if columns are given). Fields are printed forms, quoted when they hold
                a comma, quote or line break. A row of another type is a type error.
                """,
                example: #"""
                let rows = [{name: "a", loss: 0.5}, {name: "b, c", loss: 0.25}]
                write_csv("/tmp/dprm-example-write_csv.csv", rows)
                write_csv("/tmp/dprm-example-write_csv-loss.csv", rows, columns: ["loss"])
                write_csv("/tmp/dprm-example-write_csv-lists.csv", [[1, 2], [3, 4]])
                """#) { a in
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
            Builtin("path_join", parameters: [
                    .variadic("parts", "any value", "the path components"),
                ], "Joins path parts with '/'.",
                help: """
                Joins the parts with "/" (adding one only where missing). Empty parts are skipped; a part
                starting with "/" is absolute and discards what came before it. All parts must be strings.
                The path is not checked against the file system.
                """,
                example: #"""
                path_join("runs", "a", "log.txt")     # "runs/a/log.txt"
                path_join("runs/", "x.json")          # "runs/x.json"
                path_join("runs", "/tmp")             # "/tmp"
                """#) { a in
                let parts = try (0..<a.count).map { try a.string($0, "part") }
                var out = ""
                for p in parts where !p.isEmpty {
                    if p.hasPrefix("/") || out.isEmpty { out = p } else { out += (out.hasSuffix("/") ? "" : "/") + p }
                }
                return .string(out)
            },
            Builtin("basename", parameters: [
                    .positional("path", "string", "the file path"),
                ], "The last component of a path.",
                help: """
                The last component of the path: the file name with its extension ("a/b.json" gives
                "b.json"); a trailing "/" is ignored ("a/b/" gives "b"). The file need not exist.
                """,
                example: #"""
                basename("runs/a/log.txt")     # "log.txt"
                """#) { a in .string(URL(fileURLWithPath: try a.string(0, "path")).lastPathComponent) },
            Builtin("dirname", parameters: [
                    .positional("path", "string", "the file path"),
                ], "The path without its last component.",
                help: """
                Everything before the last "/": "a/b.json" gives "a", "/a" gives "/", and a path without
                "/" gives ".". Pure text, the file need not exist.
                """,
                example: #"""
                dirname("runs/a/log.txt")     # "runs/a"
                dirname("log.txt")            # "."
                """#) { a in
                let p = try a.string(0, "path")
                guard let r = p.range(of: "/", options: .backwards) else { return .string(".") }
                return .string(r.lowerBound == p.startIndex ? "/" : String(p[..<r.lowerBound]))
            },
            Builtin("exists", parameters: [
                    .positional("path", "string", "the file path"),
                ], "Whether a file or folder exists.",
                help: """
                Whether a file or folder exists at the path (relative to the working directory unless
                absolute). Never an error; a broken symbolic link counts as absent.
                """,
                example: #"""
                exists("/tmp")                    # true
                exists("/no/such/file.json")      # false
                """#) { a in .bool(FileManager.default.fileExists(atPath: try a.string(0, "path"))) },
            Builtin("list_dir", parameters: [
                    .positional("path", "string", "the folder"),
                ], "Sorted names of the entries of a folder.",
                help: """
                The names (not paths) of the entries of the folder, files and folders alike, including
                hidden ones, sorted by name. Use path_join(dir, name) to open them. A missing path or a
                file is a runtime error.
                """,
                example: #"""
                make_dir("/tmp/dprm-example-list_dir/sub")
                write_file("/tmp/dprm-example-list_dir/a.txt", "x")
                list_dir("/tmp/dprm-example-list_dir")     # ["a.txt", "sub"]
                """#) { a in
                let p = try a.string(0, "path")
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: p) else { throw DprmError.runtime("list_dir(): cannot list '\(p)'") }
                return .list(names.sorted().map { .string($0) })
            },
            Builtin("make_dir", parameters: [
                    .positional("path", "string", "the folder (parents are made too)"),
                ], "Creates a folder and its parents (no error if it exists).",
                help: """
                Creates the folder and any missing parents, like `mkdir -p`; an existing folder is fine.
                A failure (no permission, a file in the way) is a runtime error naming the path.
                """,
                example: #"""
                make_dir("/tmp/dprm-example-make_dir/runs/a")
                exists("/tmp/dprm-example-make_dir/runs/a")     # true
                """#) { a in
                let p = try a.string(0, "path")
                do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) }
                catch { throw DprmError.runtime("make_dir(): cannot create '\(p)': \(error.localizedDescription)") }
                return .nil
            },
            Builtin("env", parameters: [
                    .positional("name", "string", "the environment variable"),
                    .positional("default", "any value", optional: true, "the value when the variable is not set"),
                ], "An environment variable, or the default.",
                help: """
                The value of the environment variable (a string), or `default` (nil unless given) when it
                is not set. The name must be a string.
                """,
                example: #"""
                env("HOME")
                env("DPRM_EXAMPLE_UNSET", "fallback")     # "fallback"
                """#) { a in
                ProcessInfo.processInfo.environment[try a.string(0, "name")].map { .string($0) } ?? (a.optional(1, "default") ?? .nil)
            },
            Builtin("time", parameters: [], "Seconds since 1970 (wall clock).",
                help: """
                Seconds since 1970-01-01 UTC as a number with a fraction (wall clock). It can jump when
                the system clock is set; for durations use `clock`.
                """,
                example: #"""
                let stamp = time()
                print("started at {stamp:.0f}")
                """#) { _ in .number(Date().timeIntervalSince1970) },
            Builtin("clock", parameters: [], "Monotonic seconds, for measuring durations.",
                help: """
                Seconds from an arbitrary fixed point, never going backwards (monotonic); only differences
                mean something. Use it to time code.
                """,
                example: #"""
                let t0 = clock()
                sum(0..1000)
                print("took {clock() - t0:.6f} s")
                """#) { _ in
                var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts)
                return .number(Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
            },
            Builtin("sleep", parameters: [
                    .positional("seconds", "number", "how long to wait"),
                ], "Pauses (interruptible).",
                help: """
                Waits the given number of seconds (fractions allowed; zero or negative returns at once).
                Ctrl-C interrupts it within 50 ms.
                """,
                example: #"""
                sleep(0.01)
                """#) { a in
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
            Builtin("seed", parameters: [
                    .positional("n", "whole number", "the seed"),
                ], "Reseeds the generator behind random, randint, shuffle, choice, normal.",
                help: """
                Resets the interpreter's random generator (the one behind random, randint, normal,
                shuffle and choice) to a state given by the whole number n, so the following draws repeat
                exactly. Each interpreter starts as if seed(0) was called.
                It does not touch tensors: `manual_seed(n)` (module `tensor`) restarts the separate tensor
                generator behind rand, randn, the tensor randint and module initialisation, and a builtin
                given `seed:` uses a generator of its own for that call. The two are kept apart on
                purpose, so drawing a random() never shifts a model's initial weights. Both are the same
                algorithm (xoshiro256** seeded by SplitMix64), so seed(n) and manual_seed(n) start the
                same stream of raw bits.
                """,
                example: #"""
                seed(42)
                let a = random()
                seed(42)
                assert(random() == a)
                """#) { a in
                a.interpreter.random = RandomGenerator(seed: UInt64(bitPattern: Int64(try a.int(0, "n")))); return .nil
            },
            Builtin("random", parameters: [], "A uniform number in [0, 1).",
                help: """
                A uniformly distributed number in [0, 1) from the seeded generator (see `seed`).
                """,
                example: #"""
                seed(1)
                random()
                """#) { a in .number(a.interpreter.random.uniform()) },
            Builtin("randint", parameters: [
                    .positional("a", "whole number", "the smallest value"),
                    .positional("b", "whole number", "the largest value (included)"),
                ], "A uniform whole number in [a, b] (both included).",
                help: """
                A whole number from a to b with both ends included, each equally likely, from the seeded
                generator. a and b must be whole numbers with a <= b (else a runtime error).
                """,
                example: #"""
                seed(1)
                randint(1, 6)     # a die roll
                """#) { a in
                let lo = try a.int(0, "a"), hi = try a.int(1, "b")
                guard lo <= hi else { throw DprmError.runtime("randint(): a (\(lo)) must be <= b (\(hi))") }
                return .int(Int.random(in: lo...hi, using: &a.interpreter.random))
            },
            Builtin("normal", parameters: [
                    .positional("mean", "number", default: 0, "the mean"),
                    .positional("std", "number", default: 1, "the standard deviation"),
                ], "A normally distributed number (Box-Muller).",
                help: """
                A number drawn from the normal distribution with the given mean and standard deviation
                (positional or `mean:` / `std:`), via the Box-Muller transform on the seeded generator.
                std 0 gives the mean; a negative std acts like its absolute value (the distribution is
                symmetric).
                """,
                example: #"""
                seed(1)
                normal()                     # around 0
                normal(mean: 10, std: 2)     # around 10
                """#) { a in
                let m = try a.number(0, "mean"), s = try a.number(1, "std")
                let u1 = max(a.interpreter.random.uniform(), 1e-300), u2 = a.interpreter.random.uniform()
                return .number(m + s * sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2))
            },
            Builtin("shuffle", parameters: [
                    .positional("list", "list", "the list, shuffled in place"),
                ], "Shuffles a list in place (Fisher-Yates); returns it.",
                help: """
                Puts the list's items in a uniformly random order, in place (Fisher-Yates, seeded
                generator), and returns the same list. Use shuffle(copy(xs)) to keep the original.
                The argument must be a list.
                """,
                example: #"""
                seed(1)
                let xs = [1, 2, 3, 4]
                shuffle(xs)
                sort(xs)     # [1, 2, 3, 4]
                """#) { a in
                let l = try a.list(0, "list")
                if l.items.count > 1 {
                    for i in stride(from: l.items.count - 1, to: 0, by: -1) {
                        let j = Int.random(in: 0...i, using: &a.interpreter.random)
                        l.items.swapAt(i, j)
                    }
                }
                return .list(l)
            },
            Builtin("choice", parameters: [
                    .positional("list", "list or iterable", "the items to choose from"),
                ], "A uniformly chosen item.",
                help: """
                One item of the list (or any iterable: range, string, dict keys) picked uniformly with the
                seeded generator. An empty iterable is a runtime error.
                """,
                example: #"""
                seed(1)
                choice(["a", "b", "c"])
                choice(0..10)
                """#) { a in
                let xs = try a.sequence(0, "list")
                guard !xs.isEmpty else { throw DprmError.runtime("choice() from an empty list") }
                return xs[Int.random(in: 0..<xs.count, using: &a.interpreter.random)]
            },
        ]
    }
}
