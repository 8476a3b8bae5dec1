import Foundation
import Support

/// Where a record came from, and typed accessors that throw `DatasetError`s naming it.
struct RecordContext {
    let file: String
    let index: Int

    func fail(_ problem: DatasetError.Problem) -> DatasetError {
        DatasetError(file: file, record: index, problem: problem)
    }

    func object(_ record: JSONValue) throws -> JSONValue {
        guard case .object = record else {
            throw fail(.wrongType(key: "<record>", expected: "an object", found: record.typeName))
        }
        return record
    }

    func value(_ record: JSONValue, _ key: String) throws -> JSONValue {
        guard let v = record[key] else { throw fail(.missingKey(key)) }
        return v
    }

    func string(_ record: JSONValue, _ key: String) throws -> String {
        let v = try value(record, key)
        guard let s = v.stringValue else { throw fail(.wrongType(key: key, expected: "a string", found: v.typeName)) }
        return s
    }

    /// A string, or nil when the key is absent or null.
    func optionalString(_ record: JSONValue, _ key: String) throws -> String? {
        guard let v = record[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw fail(.wrongType(key: key, expected: "a string", found: v.typeName)) }
        return s
    }

    func bool(_ record: JSONValue, _ key: String) throws -> Bool {
        let v = try value(record, key)
        guard let b = v.boolValue else { throw fail(.wrongType(key: key, expected: "a bool", found: v.typeName)) }
        return b
    }

    func array(_ record: JSONValue, _ key: String) throws -> [JSONValue] {
        let v = try value(record, key)
        guard let a = v.arrayValue else { throw fail(.wrongType(key: key, expected: "a list", found: v.typeName)) }
        return a
    }

    func stringArray(_ record: JSONValue, _ key: String) throws -> [String] {
        try array(record, key).enumerated().map { i, v in
            guard let s = v.stringValue else {
                throw fail(.wrongType(key: "\(key)[\(i)]", expected: "a string", found: v.typeName))
            }
            return s
        }
    }

    func boolArray(_ record: JSONValue, _ key: String) throws -> [Bool] {
        try array(record, key).enumerated().map { i, v in
            guard let b = v.boolValue else {
                throw fail(.wrongType(key: "\(key)[\(i)]", expected: "a bool", found: v.typeName))
            }
            return b
        }
    }

    func intArray(_ record: JSONValue, _ key: String) throws -> [Int] {
        try array(record, key).enumerated().map { i, v in
            // `intValue` is whole and below 2^63: Int(1e300) is undefined in release builds.
            guard let n = v.intValue else {
                throw fail(.wrongType(key: "\(key)[\(i)]", expected: "an integer below 2^63", found: v.numberValue != nil ? "\(v)" : v.typeName))
            }
            return n
        }
    }

    /// An id given as a string or an integer (DreamPRM v1 uses numbers); nil when absent.
    func optionalID(_ record: JSONValue, _ key: String = "id") throws -> String? {
        guard let v = record[key], v != .null else { return nil }
        switch v {
        case .string(let s): return s
        // Numbers are doubles: beyond 2^53 an id has already lost digits (and Int64(n) of 2^63
        // or more is undefined in release builds, so every such id read as -9223372036854775808).
        case .number(let n) where n == n.rounded() && abs(n) <= 9_007_199_254_740_992: return String(Int64(n))
        case .number:
            throw fail(.invalid("\(key) \(v) is not an exact integer (a number id must be whole and at most 2^53; write larger ids as strings)"))
        default: throw fail(.wrongType(key: key, expected: "a string or an integer", found: v.typeName))
        }
    }

    /// Every key not in `known`, for `metadata`.
    func extras(_ record: JSONValue, known: Set<String>) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (k, v) in record.objectValue ?? [] where !known.contains(k) { out[k] = v }
        return out
    }
}

enum FileLoading {
    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw DatasetError(file: path, problem: .unreadable(why))
        }
        // Support's one rule for text files (as read_json and read_csv): the byte-order mark is
        // skipped, invalid UTF-8 is an error naming the byte offset.
        var bytes = [UInt8](data)
        if let problem = bytes.withUnsafeBufferPointer(UTF8Text.problem) {
            throw DatasetError(file: path, problem: .unreadable(problem))
        }
        if bytes.withUnsafeBufferPointer(UTF8Text.byteOrderMarkLength) == 3 { bytes.removeFirst(3) }
        return bytes
    }

    /// A file holding one JSON list; every element is a record.
    static func jsonList(_ path: String) throws -> [JSONValue] {
        let bytes = try bytes(path)
        let value: JSONValue
        do { value = try JSONValue.parse(bytes: bytes) } catch let e as JSONParseError {
            throw DatasetError(file: path, problem: .invalidJSON(e.location))
        }
        guard let list = value.arrayValue else {
            throw DatasetError(file: path, problem: .wrongType(key: "<top level>", expected: "a list of records", found: value.typeName))
        }
        return list
    }

    /// A JSON-lines file: one record per non-blank line. A line that does not parse is a record
    /// error (so it can be skipped).
    static func jsonLines(_ path: String) throws -> [Result<JSONValue, DatasetError>] {
        let bytes = try bytes(path)
        var out: [Result<JSONValue, DatasetError>] = []
        var start = 0
        var index = 0
        func handle(_ slice: ArraySlice<UInt8>) {
            let isBlank = slice.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if isBlank { return }
            do {
                out.append(.success(try JSONValue.parse(bytes: Array(slice))))
            } catch let e as JSONParseError {
                out.append(.failure(DatasetError(file: path, record: index, problem: .invalidJSON("column \(e.column) of the line: \(e.message)"))))
            } catch {
                out.append(.failure(DatasetError(file: path, record: index, problem: .invalidJSON("\(error)"))))
            }
            index += 1
        }
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            handle(bytes[start..<i])
            start = i + 1
        }
        if start < bytes.count { handle(bytes[start...]) }
        return out
    }

    /// Reads records (a JSON list, or JSON lines when the file name ends in `.jsonl`) and converts
    /// each with `convert`, throwing or skipping per `options`. Records must be objects unless
    /// `requireObject` is false (generic JSONL).
    static func records<T>(_ path: String, options: ReadOptions, jsonl: Bool? = nil, requireObject: Bool = true,
                           convert: (JSONValue, RecordContext) throws -> [T]) throws -> ReadResult<T> {
        let asLines = jsonl ?? path.hasSuffix(".jsonl")
        let raw: [Result<JSONValue, DatasetError>] = asLines ? try jsonLines(path) : try jsonList(path).map { .success($0) }
        var result = ReadResult<T>()
        for (i, entry) in raw.enumerated() {
            if let limit = options.limit, result.items.count >= limit { break }
            do {
                let record = try entry.get()
                let ctx = RecordContext(file: path, index: i)
                result.items.append(contentsOf: try convert(requireObject ? try ctx.object(record) : record, ctx))
            } catch let e as DatasetError {
                if options.skipInvalid { result.errors.append(e) } else { throw e }
            }
        }
        if let limit = options.limit, result.items.count > limit { result.items.removeLast(result.items.count - limit) }
        return result
    }
}
