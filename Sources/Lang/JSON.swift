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
        try json(v).serialized(indent: indent)
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

    /// The JSON value of a language value.
    public static func json(_ v: Value) throws -> JSONValue {
        switch v {
        case .nil: return .null
        case .bool(let b): return .bool(b)
        case .number(let x): return .number(x)
        case .string(let s): return .string(s)
        case .range(let a, let b): return .array(a < b ? (a..<b).map { .number(Double($0)) } : [])
        case .list(let l): return .array(try l.items.map(json))
        case .dict(let d): return .object(try d.pairs.map { ($0.0, try json($0.1)) })
        case .function, .native:
            throw DprmError.type("cannot write \(v.typeName) as JSON")
        }
    }
}
