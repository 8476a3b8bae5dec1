import Support

/// The bridge between JSON (Support's `JSONValue`, its one parser and serialiser) and the
/// language's `Value`: objects become insertion-ordered dicts, and back.
public enum JSON {
    /// What `read_json` and `json_parse` accept: strict JSON plus `NaN` and `Infinity`, which
    /// Python's `json.dump` writes for non-finite floats (result files often hold them).
    public static let options = JSONParseOptions(allowNonFinite: true)

    /// Parses JSON text; errors read "`source`: invalid JSON at line L, column C: ...".
    public static func parse(_ text: String, source: String = "JSON") throws -> Value {
        do { return value(try JSONValue.parse(text, options: options)) } catch let e as JSONParseError {
            throw DprmError.runtime("\(source): \(e)")
        }
    }

    /// Serialises a value (nil, bool, number, string, range, list, dict; functions and natives
    /// are rejected). Non-finite numbers become `null`.
    public static func stringify(_ v: Value, indent: Int? = nil) throws -> String {
        if let indent, indent > 100 {
            // Each line repeats the indent once per level: 1e9 spaces per line is no layout.
            throw DprmError.runtime("JSON indent \(indent) is more than 100 spaces per level")
        }
        return try json(v).serialized(indent: indent)
    }

    /// The language value of a JSON value.
    public static func value(_ j: JSONValue) -> Value {
        switch j {
        case .null: return .nil
        case .bool(let b): return .bool(b)
        case .number(let x): return .number(x)
        case .string(let s): return .string(s)
        case .array(let items): return .list(items.map(value))
        case .object(let pairs): return .dict(DictRef(pairs.map { ($0.key, value($0.value)) }))
        }
    }

    /// The JSON value of a language value. A list or dict that contains itself, or nesting deeper
    /// than the parser reads back (`JSONParseOptions.strict.maxDepth`), is an error naming the
    /// path to it (`json_string(d)` of `d.d = d` used to grow memory without end).
    public static func json(_ v: Value) throws -> JSONValue {
        var path = JSONPath()
        return try json(v, &path)
    }

    /// The containers from the top value down to the one being written, and the keys leading there.
    struct JSONPath {
        var objects: [ObjectIdentifier] = []
        var keys: [String] = []

        /// `value[0]["a"]`, shortened in the middle when deep.
        var description: String {
            let shown = keys.count <= 8 ? keys : keys.prefix(4) + ["...(\(keys.count - 6) more)..."] + keys.suffix(2)
            return "value" + shown.joined()
        }

        mutating func enter(_ object: AnyObject, _ kind: String) throws {
            let id = ObjectIdentifier(object)
            if objects.contains(id) { throw DprmError.runtime("cannot write \(description) as JSON: the \(kind) contains itself") }
            if objects.count >= JSONParseOptions.strict.maxDepth {
                throw DprmError.runtime("cannot write \(description) as JSON: nested deeper than \(JSONParseOptions.strict.maxDepth) levels")
            }
            objects.append(id)
        }
    }

    static func json(_ v: Value, _ path: inout JSONPath) throws -> JSONValue {
        switch v {
        case .nil: return .null
        case .bool(let b): return .bool(b)
        case .number(let x): return .number(x)
        case .string(let s): return .string(s)
        case .range(let a, let b): return .array(a < b ? (a..<b).map { .number(Double($0)) } : [])
        case .list(let l):
            try path.enter(l, "list"); defer { path.objects.removeLast() }
            var out: [JSONValue] = []
            out.reserveCapacity(l.items.count)
            for (i, item) in l.items.enumerated() {
                path.keys.append("[\(i)]"); defer { path.keys.removeLast() }
                out.append(try json(item, &path))
            }
            return .array(out)
        case .dict(let d):
            try path.enter(d, "dict"); defer { path.objects.removeLast() }
            var out: [(key: String, value: JSONValue)] = []
            for (k, item) in d.pairs {
                path.keys.append("[\(quoteString(k))]"); defer { path.keys.removeLast() }
                out.append((k, try json(item, &path)))
            }
            return .object(out)
        case .function, .native:
            throw DprmError.type("cannot write \(v.typeName) as JSON")
        }
    }
}
