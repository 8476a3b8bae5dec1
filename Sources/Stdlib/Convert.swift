import Lang

/// Small conversions between language values and Swift values, with errors naming the argument.
enum Convert {
    static func floats(_ v: Value, _ what: String) throws -> [Float] {
        switch v {
        case .list(let l):
            return try l.items.map { item in
                guard case .number(let x) = item else { throw DprmError.type("\(what) must hold numbers, got \(item.typeName)") }
                return Float(x)
            }
        default:
            throw DprmError.type("\(what) must be a list of numbers or a tensor, got \(v.typeName)")
        }
    }

    static func bools(_ v: Value, _ what: String) throws -> [Bool] {
        guard case .list(let l) = v else { throw DprmError.type("\(what) must be a list of booleans, got \(v.typeName)") }
        return try l.items.map { item in
            switch item {
            case .bool(let b): return b
            case .number(let x): return x != 0
            default: throw DprmError.type("\(what) must hold booleans, got \(item.typeName)")
            }
        }
    }

    static func strings(_ v: Value, _ what: String) throws -> [String] {
        guard case .list(let l) = v else { throw DprmError.type("\(what) must be a list of strings, got \(v.typeName)") }
        return try l.items.map { item in
            guard case .string(let s) = item else { throw DprmError.type("\(what) must hold strings, got \(item.typeName)") }
            return s
        }
    }

    static func numbers<T: BinaryFloatingPoint>(_ xs: [T]) -> Value { .list(xs.map { .number(Double($0)) }) }
    static func ints(_ xs: [Int]) -> Value { .list(xs.map { .int($0) }) }
    static func strings(_ xs: [String]) -> Value { .list(xs.map { .string($0) }) }
    static func dict(_ pairs: [(String, Value)]) -> Value { .dict(DictRef(pairs)) }

    /// Runs a Swift call that may throw library errors, turning them into runtime errors with
    /// the builtin's name (the library's message already names file, record or shape).
    static func library<T>(_ callee: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DprmError { throw e } catch {
            // Library messages that already name the call are not prefixed twice.
            let message = "\(error)"
            throw DprmError.runtime(message.hasPrefix(callee + ":") ? message : "\(callee): \(message)")
        }
    }
}
