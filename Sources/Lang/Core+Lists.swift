import Foundation

extension Interpreter {
    /// Sort helper: numbers and strings (and lists of them) in ascending order; errors on mixed types.
    func sorted(_ items: [Value], key: Value?, reverse: Bool) throws -> [Value] {
        var keyed: [(Value, Value)] = []
        for v in items { keyed.append((try key.map { try call($0, [v]) } ?? v, v)) }
        var failure: Error? = nil
        // Stable merge sort through Swift's sort on an index tiebreak.
        let indexed = keyed.enumerated().map { ($0.offset, $0.element) }
        let out = indexed.sorted { x, y in
            if failure != nil { return false }
            do {
                if try Ops.less(x.1.0, y.1.0) { return !reverse }
                if try Ops.less(y.1.0, x.1.0) { return reverse }
                return x.0 < y.0
            } catch { failure = error; return false }
        }
        if let f = failure { throw f }
        return out.map { $0.1.1 }
    }

    func coreLists() -> [Builtin] {
        [
            Builtin("push", "push(list, ...values)", "Appends values to the end of a list (in place); returns the list.") { a in
                let l = try a.list(0, "list"); l.items.append(contentsOf: a.positional.dropFirst()); return .list(l)
            },
            Builtin("pop", "pop(list, index: -1)", "Removes and returns the item at index (the last by default).") { a in
                let l = try a.list(0, "list")
                guard !l.items.isEmpty else { throw DprmError.runtime("pop() from an empty list") }
                let i = try Ops.normalizeIndex(.int(try a.int(1, "index", default: -1)), count: l.items.count, what: "list")
                return l.items.remove(at: i)
            },
            Builtin("insert", "insert(list, index, value)", "Inserts value before index (in place).") { a in
                let l = try a.list(0, "list"); var i = try a.int(1, "index")
                if i < 0 { i += l.items.count }
                l.items.insert(try a.value(2, "value"), at: min(max(i, 0), l.items.count)); return .list(l)
            },
            Builtin("remove", "remove(container, key)", "Removes a dict key (returns its value or nil) or the first equal list item (returns true if found).") { a in
                switch try a.value(0, "container") {
                case .dict(let d):
                    let k = try a.string(1, "key"); let old = d[k]; d[k] = nil; return old ?? .nil
                case .list(let l):
                    let v = try a.value(1, "key")
                    if let i = l.items.firstIndex(where: { Ops.equal($0, v) }) { l.items.remove(at: i); return .bool(true) }
                    return .bool(false)
                case let v: throw DprmError.type("remove() needs a list or dict, got \(v.typeName)")
                }
            },
            Builtin("clear", "clear(container)", "Empties a list or dict in place.") { a in
                switch try a.value(0, "container") {
                case .list(let l): l.items.removeAll()
                case .dict(let d): for k in d.keys { d[k] = nil }
                case let v: throw DprmError.type("clear() needs a list or dict, got \(v.typeName)")
                }
                return .nil
            },
            Builtin("extend", "extend(list, other)", "Appends the items of another iterable (in place).") { a in
                let l = try a.list(0, "list"); l.items += try a.sequence(1, "other"); return .list(l)
            },
            Builtin("list", "list(iterable)", "A new list of the items of a list, range, dict (keys) or string (characters).") { a in
                .list(try a.sequence(0, "iterable"))
            },
            Builtin("copy", "copy(x)", "A shallow copy of a list or dict; other values are returned as is.") { a in
                switch try a.value(0, "x") {
                case .list(let l): return .list(ListRef(l.items))
                case .dict(let d): return .dict(DictRef(d.pairs))
                case let v: return v
                }
            },
            Builtin("map", "map(iterable, f)", "A list of f(x) for each item.") { a in
                let f = try a.function(1, "f"); let interp = a.interpreter
                return .list(try a.sequence(0, "iterable").map { try interp.call(f, [$0]) })
            },
            Builtin("filter", "filter(iterable, f)", "The items for which f(x) is truthy.") { a in
                let f = try a.function(1, "f"); let interp = a.interpreter
                return .list(try a.sequence(0, "iterable").filter { try interp.call(f, [$0]).isTruthy })
            },
            Builtin("reduce", "reduce(iterable, f, initial)", "Folds the items: f(f(initial, x0), x1)...") { a in
                let f = try a.function(1, "f"); var acc = try a.value(2, "initial")
                for x in try a.sequence(0, "iterable") { acc = try a.interpreter.call(f, [acc, x]) }
                return acc
            },
            Builtin("any", "any(iterable)", "True if some item is truthy.") { a in .bool(try a.sequence(0, "iterable").contains { $0.isTruthy }) },
            Builtin("all", "all(iterable)", "True if every item is truthy.") { a in .bool(try a.sequence(0, "iterable").allSatisfy { $0.isTruthy }) },
            Builtin("sort", "sort(iterable, key: nil, reverse: false)", "A new sorted list (numbers or strings; stable).") { a in
                try a.check(positional: 1...1, keywords: ["key", "reverse"])
                return .list(try a.interpreter.sorted(try a.sequence(0, "iterable"), key: a.optional(nil, "key"), reverse: try a.bool(nil, "reverse", default: false)))
            },
            Builtin("reverse", "reverse(iterable)", "A new list with the items in reverse order.") { a in .list(Array(try a.sequence(0, "iterable").reversed())) },
            Builtin("zip", "zip(...iterables)", "A list of lists pairing items position by position (shortest wins).") { a in
                let seqs = try (0..<a.count).map { try a.sequence($0, "iterable \($0 + 1)") }
                let n = seqs.map { $0.count }.min() ?? 0
                return .list((0..<n).map { i in .list(seqs.map { $0[i] }) })
            },
            Builtin("enumerate", "enumerate(iterable)", "A list of [index, item] pairs.") { a in
                .list(try a.sequence(0, "iterable").enumerated().map { .list([.int($0.offset), $0.element]) })
            },
            Builtin("sum", "sum(iterable)", "The sum of numbers (0 for an empty list); natives with + are added too.") { a in
                var acc = Value.number(0)
                for x in try a.sequence(0, "iterable") { acc = try Ops.binary(.add, acc, x) }
                return acc
            },
            Builtin("min", "min(iterable) | min(a, b, ...)", "The smallest item.") { a in
                let xs = a.count == 1 ? try a.sequence(0, "iterable") : a.positional
                guard var best = xs.first else { throw DprmError.runtime("min() of an empty sequence") }
                for x in xs.dropFirst() where try Ops.less(x, best) { best = x }
                return best
            },
            Builtin("max", "max(iterable) | max(a, b, ...)", "The largest item.") { a in
                let xs = a.count == 1 ? try a.sequence(0, "iterable") : a.positional
                guard var best = xs.first else { throw DprmError.runtime("max() of an empty sequence") }
                for x in xs.dropFirst() where try Ops.less(best, x) { best = x }
                return best
            },
            Builtin("index_of", "index_of(container, item)", "Position of the first equal item in a list or substring in a string, or -1.") { a in
                let item = try a.value(1, "item")
                switch try a.value(0, "container") {
                case .list(let l): return .int(l.items.firstIndex { Ops.equal($0, item) } ?? -1)
                case .string(let s):
                    guard case .string(let t) = item, let r = s.range(of: t) else { return .int(-1) }
                    return .int(s.distance(from: s.startIndex, to: r.lowerBound))
                case let v: throw DprmError.type("index_of() needs a list or string, got \(v.typeName)")
                }
            },
            Builtin("contains", "contains(container, item)", "Same as `item in container`.") { a in
                .bool(try Ops.contains(try a.value(0, "container"), try a.value(1, "item")))
            },
            Builtin("keys", "keys(dict)", "The keys in insertion order.") { a in .list(try a.dict(0, "dict").keys.map { .string($0) }) },
            Builtin("values", "values(dict)", "The values in key order.") { a in .list(try a.dict(0, "dict").orderedValues) },
            Builtin("items", "items(dict)", "[key, value] pairs in insertion order.") { a in
                .list(try a.dict(0, "dict").pairs.map { .list([.string($0.0), $0.1]) })
            },
            Builtin("has", "has(dict, key)", "Whether the dict has the key.") { a in .bool(try a.dict(0, "dict").contains(try a.string(1, "key"))) },
            Builtin("get", "get(dict, key, default: nil)", "The value for key, or the default.") { a in
                try a.dict(0, "dict")[try a.string(1, "key")] ?? (a.count > 2 ? a.positional[2] : (a.keyword("default") ?? .nil))
            },
            Builtin("dict", "dict(pairs)", "A dict from a list of [key, value] pairs (or a copy of a dict).") { a in
                let d = DictRef()
                switch try a.value(0, "pairs") {
                case .dict(let o): return .dict(DictRef(o.pairs))
                case let v:
                    for p in try a.interpreter.iterate(v, what: "dict() argument") {
                        guard case .list(let l) = p, l.items.count == 2, case .string(let k) = l.items[0] else {
                            throw DprmError.type("dict() needs [key, value] pairs with string keys")
                        }
                        d[k] = l.items[1]
                    }
                }
                return .dict(d)
            },
        ]
    }
}
