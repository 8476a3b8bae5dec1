import Foundation
import Support

/// Operators on values (the slow paths; compiled code handles number-number inline).
enum Ops {
    static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        if case .number(let x) = a, case .number(let y) = b {
            switch op {
            case .add: return .number(x + y)
            case .subtract: return .number(x - y)
            case .multiply: return .number(x * y)
            case .divide: return .number(x / y)
            case .modulo: return .number(mod(x, y))
            case .power: return .number(pow(x, y))
            case .matmul: break
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            case .less: return .bool(x < y)
            case .lessEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterEqual: return .bool(x >= y)
            }
        }
        if case .native(let n) = a, let r = try n.binary(op, b, isRight: false) { return r }
        if case .native(let n) = b, let r = try n.binary(op, a, isRight: true) { return r }
        switch op {
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, a, b))
        case .add:
            switch (a, b) {
            case (.string(let s), .string(let t)): return .string(s + t)
            case (.list(let l), .list(let m)): return .list(ListRef(l.items + m.items))
            case (.dict(let d), .dict(let e)):
                let r = DictRef(d.pairs); for (k, v) in e.pairs { r[k] = v }; return .dict(r)
            default: break
            }
        case .multiply:
            switch (a, b) {
            case (.string(let s), .number(let n)), (.number(let n), .string(let s)):
                let k = max(0, try wholeNumber(n, "string repeat count"))
                try Limits.check(k, bytesEach: s.utf8.count, "string repeat")
                return .string(repeatedString(s, k))
            case (.list(let l), .number(let n)), (.number(let n), .list(let l)):
                let k = max(0, try wholeNumber(n, "list repeat count"))
                let (total, overflow) = k.multipliedReportingOverflow(by: l.items.count)
                try Limits.check(overflow ? .max : total, bytesEach: Limits.valueBytes, "list repeat")
                var items: [Value] = []; items.reserveCapacity(l.items.count * k)
                for _ in 0..<k { items += l.items }
                return .list(ListRef(items))
            default: break
            }
        case .modulo:
            break
        default: break
        }
        throw DprmError.type("unsupported operand types for \(op.rawValue): \(a.typeName) and \(b.typeName)")
    }

    @inline(__always) static func mod(_ x: Double, _ y: Double) -> Double {
        // Whole numbers (the common case) avoid the slow libm fmod.
        if let a = Int64(exactly: x), let b = Int64(exactly: y), b != 0 {
            let r = a % b
            return Double((r != 0 && (r < 0) != (b < 0)) ? r + b : r)
        }
        let r = fmod(x, y)
        return (r != 0 && (r < 0) != (y < 0)) ? r + y : r
    }

    static func wholeNumber(_ x: Double, _ what: String) throws -> Int {
        guard x == x.rounded(), abs(x) < 9e15 else { throw DprmError.type("\(what) must be a whole number, got \(formatNumber(x))") }
        return Int(x)
    }

    static func negate(_ v: Value) throws -> Value {
        switch v {
        case .number(let x): return .number(-x)
        case .native(let n): if let r = try n.negate() { return r }
        default: break
        }
        throw DprmError.type("unsupported operand type for unary -: \(v.typeName)")
    }

    /// Structural equality. Iterative (an explicit stack of pairs still to compare), so a list
    /// nested a million deep compares without overflowing the native stack, and coinductive on
    /// containers: a pair of lists or dicts already being compared counts as equal, so values that
    /// contain themselves (`a.push(a)`) compare in finite time (two such values are equal when no
    /// finite path tells them apart).
    static func equal(_ a: Value, _ b: Value) -> Bool {
        // Scalars first, with no allocation: `==` on numbers and strings is on the hot path.
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.list, .list), (.dict, .dict): return containersEqual(a, b)
        default: break
        }
        return containersEqual(a, b)
    }

    static func containersEqual(_ a: Value, _ b: Value) -> Bool {
        var pending: [(Value, Value)] = [(a, b)]
        var assumed = Set<Pair>()
        while let (x, y) = pending.popLast() {
            switch (x, y) {
            case (.nil, .nil): continue
            case (.bool(let p), .bool(let q)): if p != q { return false }
            case (.number(let p), .number(let q)): if p != q { return false }
            case (.string(let p), .string(let q)): if p != q { return false }
            case (.list(let p), .list(let q)):
                if p === q { continue }
                guard p.items.count == q.items.count else { return false }
                guard assumed.insert(Pair(p, q)).inserted else { continue }
                for i in (0..<p.items.count).reversed() { pending.append((p.items[i], q.items[i])) }
            case (.dict(let p), .dict(let q)):
                if p === q { continue }
                guard p.count == q.count else { return false }
                guard assumed.insert(Pair(p, q)).inserted else { continue }
                for (k, v) in p.pairs.reversed() {
                    guard let w = q[k] else { return false }
                    pending.append((v, w))
                }
            case (.range(let a0, let a1), .range(let b0, let b1)): if a0 != b0 || a1 != b1 { return false }
            case (.function(let f), .function(let g)): if f !== g { return false }
            case (.native(let p), .native(let q)): if !p.isEqual(to: q) { return false }
            default: return false
            }
        }
        return true
    }

    /// Two containers by identity (for the pairs `equal` is already comparing).
    struct Pair: Hashable {
        let a: ObjectIdentifier, b: ObjectIdentifier
        init(_ a: AnyObject, _ b: AnyObject) { self.a = ObjectIdentifier(a); self.b = ObjectIdentifier(b) }
    }

    /// How deep `less` follows nested lists: ordering is lexicographic and recursive, so a list
    /// that contains itself (`sort([a, a])` with `a.push(a)`) or one nested deeper than any real
    /// data is an error instead of a stack overflow.
    static let maxCompareDepth = 1000

    /// Ordering for numbers, strings, and lists of those (lexicographic).
    static func less(_ a: Value, _ b: Value, depth: Int = 0) throws -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        case (.bool(let x), .bool(let y)): return !x && y
        case (.list(let x), .list(let y)):
            if x === y { return false }
            guard depth < maxCompareDepth else {
                throw DprmError.runtime("cannot compare lists nested deeper than \(maxCompareDepth) levels (does a list contain itself?)")
            }
            for i in 0..<min(x.items.count, y.items.count) {
                if try less(x.items[i], y.items[i], depth: depth + 1) { return true }
                if try less(y.items[i], x.items[i], depth: depth + 1) { return false }
            }
            return x.items.count < y.items.count
        default:
            throw DprmError.type("cannot compare \(a.typeName) with \(b.typeName)")
        }
    }

    static func compare(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Bool {
        switch op {
        case .less: return try less(a, b)
        case .greater: return try less(b, a)
        case .lessEqual: return try !less(b, a)
        case .greaterEqual: return try !less(a, b)
        default: return false
        }
    }

    static func contains(_ container: Value, _ item: Value) throws -> Bool {
        switch container {
        case .list(let l): return l.items.contains { equal($0, item) }
        case .dict(let d):
            guard case .string(let k) = item else { return false }
            return d.contains(k)
        case .string(let s):
            guard case .string(let t) = item else { throw DprmError.type("'in <string>' needs a string on the left, got \(item.typeName)") }
            return t.isEmpty || s.contains(t)
        case .range(let lo, let hi):
            guard case .number(let x) = item else { return false }
            return x == x.rounded() && x >= Double(lo) && x < Double(hi)
        default:
            throw DprmError.type("'in' needs a list, dict, string or range on the right, got \(container.typeName)")
        }
    }

    // MARK: indexing

    static func normalizeIndex(_ v: Value, count: Int, what: String) throws -> Int {
        guard case .number(let x) = v else { throw DprmError.type("\(what) index must be a number, got \(v.typeName)") }
        guard x == x.rounded(), abs(x) < 9e15 else { throw DprmError.type("\(what) index must be a whole number, got \(formatNumber(x))") }
        let i = Int(x)
        let j = i < 0 ? i + count : i
        guard j >= 0 && j < count else {
            throw DprmError.runtime("index \(i) out of range for \(what) of length \(count)")
        }
        return j
    }

    /// Python slice semantics: indices clamp, negative indices count from the end.
    static func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int?, count: Int) throws -> [Int] {
        let step = step ?? 1
        guard step != 0 else { throw DprmError.runtime("slice step cannot be zero") }
        func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { min(max(i, lo), hi) }
        func norm(_ i: Int?, _ def: Int, lo: Int, hi: Int) -> Int {
            guard let i else { return def }
            return clamp(i < 0 ? i + count : i, lo, hi)
        }
        var out: [Int] = []
        if step > 0 {
            var i = norm(start, 0, lo: 0, hi: count); let e = norm(stop, count, lo: 0, hi: count)
            while i < e { out.append(i); i += step }
        } else {
            var i = norm(start, count - 1, lo: -1, hi: count - 1); let e = norm(stop, -1, lo: -1, hi: count - 1)
            while i > e { out.append(i); i += step }
        }
        return out
    }

    static func index(_ base: Value, _ items: [IndexItem]) throws -> Value {
        if case .native(let n) = base { return try n.index(items) }
        guard items.count == 1 else { throw DprmError.type("\(base.typeName) takes one index, got \(items.count)") }
        switch (base, items[0]) {
        case (.list(let l), .value(let v)): return l.items[try normalizeIndex(v, count: l.items.count, what: "list")]
        case (.list(let l), .slice(let a, let b, let c)):
            return .list(ListRef(try sliceIndices(a, b, c, count: l.items.count).map { l.items[$0] }))
        case (.string(let s), .value(let v)):
            let chars = Array(s)
            return .string(String(chars[try normalizeIndex(v, count: chars.count, what: "string")]))
        case (.string(let s), .slice(let a, let b, let c)):
            let chars = Array(s)
            return .string(String(try sliceIndices(a, b, c, count: chars.count).map { chars[$0] }))
        case (.dict(let d), .value(let v)):
            guard case .string(let k) = v else { throw DprmError.type("dict keys are strings, got \(v.typeName)") }
            guard let r = d[k] else {
                var e = DprmError.runtime("key \(quoteString(k)) not found in dict")
                if let s = closestName(k, in: d.keys) { e.notes.append("did you mean \(quoteString(s))?") }
                throw e
            }
            return r
        case (.range(let lo, let hi), .value(let v)):
            return .int(lo + (try normalizeIndex(v, count: max(0, hi - lo), what: "range")))
        case (.range(let lo, let hi), .slice(let a, let b, let c)):
            return .list(ListRef(try sliceIndices(a, b, c, count: max(0, hi - lo)).map { .int(lo + $0) }))
        default:
            throw DprmError.type("\(base.typeName) is not indexable")
        }
    }

    static func setIndex(_ base: Value, _ items: [IndexItem], _ value: Value) throws {
        if case .native(let n) = base { try n.setIndex(items, value); return }
        guard items.count == 1 else { throw DprmError.type("\(base.typeName) takes one index, got \(items.count)") }
        switch (base, items[0]) {
        case (.list(let l), .value(let v)):
            l.items[try normalizeIndex(v, count: l.items.count, what: "list")] = value
        case (.list(let l), .slice(let a, let b, let c)):
            guard case .list(let src) = value else { throw DprmError.type("slice assignment needs a list, got \(value.typeName)") }
            let idx = try sliceIndices(a, b, c, count: l.items.count)
            if (c ?? 1) == 1 {
                let lo = idx.first ?? min(max((a ?? 0) < 0 ? (a ?? 0) + l.items.count : (a ?? 0), 0), l.items.count)
                l.items.replaceSubrange(lo..<(lo + idx.count), with: src.items)
            } else {
                guard idx.count == src.items.count else { throw DprmError.runtime("slice assignment: \(src.items.count) values for \(idx.count) positions") }
                for (k, i) in idx.enumerated() { l.items[i] = src.items[k] }
            }
        case (.dict(let d), .value(let v)):
            guard case .string(let k) = v else { throw DprmError.type("dict keys are strings, got \(v.typeName)") }
            d[k] = value
        default:
            throw DprmError.type("\(base.typeName) does not support index assignment")
        }
    }

    /// Length of a core value or a native object with a length.
    static func length(_ v: Value) -> Int? {
        switch v {
        case .string(let s): return s.count
        case .list(let l): return l.items.count
        case .dict(let d): return d.count
        case .range(let a, let b): return max(0, b - a)
        case .native(let n): return n.length
        default: return nil
        }
    }
}

/// `s` repeated `count` times, built in its UTF-8 bytes by doubling copies: memcpy speed (a
/// gigabyte in well under a second), where `String(repeating:count:)` appends piece by piece
/// (`"x" * 2147483648` took minutes and could not be interrupted; issue 18). The size was
/// checked against `Limits` by the caller.
func repeatedString(_ s: String, _ count: Int) -> String {
    var unit = s
    let n = unit.utf8.count
    guard count > 0, n > 0 else { return "" }
    if count == 1 { return s }
    return unit.withUTF8 { piece in
        String(unsafeUninitializedCapacity: n * count) { buffer in
            let base = buffer.baseAddress!
            base.initialize(from: piece.baseAddress!, count: n)
            var filled = n
            let total = n * count
            while filled < total {
                let chunk = min(filled, total - filled)
                (base + filled).initialize(from: base, count: chunk)
                filled += chunk
            }
            return total
        }
    }
}
