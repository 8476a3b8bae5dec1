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

    /// `min` / `max`: the first item of one iterable (or of the arguments) that no later one
    /// beats (`better(x, best)`); ties keep the first.
    static func extreme(_ a: Arguments, _ name: String, better: (Value, Value) throws -> Bool) throws -> Value {
        let xs = a.count == 1 ? try a.sequence(0, "values") : a.positional
        guard var best = xs.first else { throw DprmError.runtime("\(name)() of an empty sequence") }
        for x in xs.dropFirst() where try better(x, best) { best = x }
        return best
    }

    func coreLists() -> [Builtin] {
        [
            Builtin("push", parameters: [
                    .positional("list", "list", "the list appended to"),
                    .variadic("values", "any value", "the values appended"),
                ], "Appends values to the end of a list (in place); returns the list.",
                help: """
                Appends each value to the end of the list in place (other holders of the same list see
                the change) and returns the list, so calls can be chained. Pushing a list adds it as one
                item; use `extend` to add its items. The first argument must be a list.
                """,
                example: #"""
                let xs = []
                xs.push(1)
                push(xs, 2, 3)     # [1, 2, 3]
                """#) { a in
                let l = try a.list(0, "list"); l.items.append(contentsOf: a.positional.dropFirst()); return .list(l)
            },
            Builtin("pop", parameters: [
                    .positional("list", "list", "the list"),
                    .positional("index", "whole number", default: -1, "the position (negative counts from the end)"),
                ], "Removes and returns the item at index (the last by default).",
                help: """
                Removes the item at the index from the list and returns it; the index counts from the end
                when negative, so the default -1 is the last item. An empty list or an index out of range
                is a runtime error.
                """,
                example: #"""
                let xs = [1, 2, 3]
                xs.pop()        # 3, xs is [1, 2]
                xs.pop(0)       # 1, xs is [2]
                """#) { a in
                let l = try a.list(0, "list")
                guard !l.items.isEmpty else { throw DprmError.runtime("pop() from an empty list") }
                let i = try Ops.normalizeIndex(.int(try a.int(1, "index")), count: l.items.count, what: "list")
                return l.items.remove(at: i)
            },
            Builtin("insert", parameters: [
                    .positional("list", "list", "the list"),
                    .positional("index", "whole number", "the position the value goes before (negative counts from the end)"),
                    .positional("value", "any value", "the value inserted"),
                ], "Inserts value before index (in place).",
                help: """
                Inserts the value so that it ends up at position index, shifting later items right; a
                negative index counts from the end. Indexes past either end are clamped (insert at the
                front or the back), never an error. Changes the list in place and returns it.
                """,
                example: #"""
                let xs = [1, 3]
                xs.insert(1, 2)       # [1, 2, 3]
                xs.insert(100, 4)     # [1, 2, 3, 4]
                """#) { a in
                let l = try a.list(0, "list"); var i = try a.int(1, "index")
                if i < 0 { i += l.items.count }
                l.items.insert(try a.value(2, "value"), at: min(max(i, 0), l.items.count)); return .list(l)
            },
            Builtin("remove", parameters: [
                    .positional("container", "any value", "a list or dict"),
                    .positional("key", "string", "the dict key, or the list item to remove"),
                ], "Removes a dict key (returns its value or nil) or the first equal list item (returns true if found).",
                help: """
                For a dict: deletes the key (a string) and returns the value it had, or nil if absent.
                For a list: deletes the first item equal (==, structural) to the given value and returns
                true, or returns false when there is none. Changes the container in place. Other
                containers are a type error; to remove by position use `pop`.
                """,
                example: #"""
                let d = {a: 1, b: 2}
                d.remove("a")         # 1, d is {b: 2}
                let xs = [1, 2, 1]
                xs.remove(1)          # true, xs is [2, 1]
                """#) { a in
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
            Builtin("clear", parameters: [
                    .positional("container", "any value", "a list or dict"),
                ], "Empties a list or dict in place.",
                help: """
                Removes every item of a list or every key of a dict, in place (all holders of it see an
                empty container). Returns nil. Other values are a type error.
                """,
                example: #"""
                let xs = [1, 2]
                xs.clear()
                len(xs)          # 0
                """#) { a in
                switch try a.value(0, "container") {
                case .list(let l): l.items.removeAll()
                case .dict(let d): for k in d.keys { d[k] = nil }
                case let v: throw DprmError.type("clear() needs a list or dict, got \(v.typeName)")
                }
                return .nil
            },
            Builtin("extend", parameters: [
                    .positional("list", "list", "the list appended to"),
                    .positional("other", "list or iterable", "the items appended (any iterable)"),
                ], "Appends the items of another iterable (in place).",
                help: """
                Appends every item of `other` (a list, range, dict's keys, string's characters or native
                iterable) to the list in place and returns the list. Extending a list with itself doubles
                it.
                """,
                example: #"""
                let xs = [1]
                xs.extend([2, 3])    # [1, 2, 3]
                xs.extend(4..6)      # [1, 2, 3, 4, 5]
                """#) { a in
                let l = try a.list(0, "list"); l.items += try a.sequence(1, "other"); return .list(l)
            },
            Builtin("list", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                ], "A new list of the items of a list, range, dict (keys) or string (characters).",
                help: """
                A new list (never shared with the argument): a list is copied shallowly, a range is
                expanded, a dict gives its keys in insertion order, a string its characters, a native
                iterable its items. Non-iterables are a type error.
                """,
                example: #"""
                list(0..3)        # [0, 1, 2]
                list("ab")        # ["a", "b"]
                list({x: 1})      # ["x"]
                """#) { a in
                .list(try a.sequence(0, "iterable"))
            },
            Builtin("copy", parameters: [
                    .positional("x", "any value", "a list or dict (others are returned as is)"),
                ], "A shallow copy of a list or dict; other values are returned as is.",
                help: """
                A new list or dict holding the same items (shallow: nested lists and dicts are shared,
                not copied). Numbers, strings and other immutable values are returned as they are; native
                objects (tensors, models) are returned as the same object.
                """,
                example: #"""
                let a = [1, [2]]
                let b = copy(a)
                b.push(3)          # a stays [1, [2]]
                """#) { a in
                switch try a.value(0, "x") {
                case .list(let l): return .list(ListRef(l.items))
                case .dict(let d): return .dict(DictRef(d.pairs))
                case let v: return v
                }
            },
            Builtin("map", parameters: [
                    .positional("iterable", "list or iterable", "the items"),
                    .positional("f", "function", "the function called on each item"),
                ], "A list of f(x) for each item.",
                help: """
                Calls f on each item of the iterable in order and returns the list of the results.
                f is any function of one argument (a lambda, a .dprm function, a builtin). Errors raised
                by f stop the map and propagate.
                """,
                example: #"""
                map([1, 2], |x| x * 10)     # [10, 20]
                map(["a", "b"], upper)      # ["A", "B"]
                """#) { a in
                let f = try a.function(1, "f"); let interp = a.interpreter
                return .list(try a.sequence(0, "iterable").map { try interp.call(f, [$0]) })
            },
            Builtin("filter", parameters: [
                    .positional("iterable", "list or iterable", "the items"),
                    .positional("f", "function", "the test; items where it is truthy are kept"),
                ], "The items for which f(x) is truthy.",
                help: """
                Returns a new list of the items for which f(item) is truthy (see `bool`), in their
                original order. f is called once per item.
                """,
                example: #"""
                filter(0..10, |x| x % 3 == 0)     # [0, 3, 6, 9]
                filter(["a", "", "b"], |s| s)     # ["a", "b"]
                """#) { a in
                let f = try a.function(1, "f"); let interp = a.interpreter
                return .list(try a.sequence(0, "iterable").filter { try interp.call(f, [$0]).isTruthy })
            },
            Builtin("reduce", parameters: [
                    .positional("iterable", "list or iterable", "the items"),
                    .positional("f", "function", "f(accumulated, item)"),
                    .positional("initial", "any value", "the starting value"),
                ], "Folds the items: f(f(initial, x0), x1)...",
                help: """
                Starts from `initial` and replaces it by f(accumulator, item) for each item in order;
                returns the final accumulator (`initial` itself for an empty iterable). The initial value
                is required.
                """,
                example: #"""
                reduce([1, 2, 3], |acc, x| acc + x, 0)        # 6
                reduce(["a", "b"], |acc, s| acc + s, ">")     # ">ab"
                """#) { a in
                let f = try a.function(1, "f"); var acc = try a.value(2, "initial")
                for x in try a.sequence(0, "iterable") { acc = try a.interpreter.call(f, [acc, x]) }
                return acc
            },
            Builtin("any", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                ], "True if some item is truthy.",
                help: """
                True when at least one item is truthy (see `bool`); false for an empty iterable.
                """,
                example: #"""
                any([0, "", 3])           # true
                any(map([1, 2], |x| x > 5))   # false
                """#) { a in .bool(try a.sequence(0, "iterable").contains { $0.isTruthy }) },
            Builtin("all", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                ], "True if every item is truthy.",
                help: """
                True when every item is truthy (see `bool`); true for an empty iterable.
                """,
                example: #"""
                all([1, "a", [0]])    # true
                all([])               # true
                """#) { a in .bool(try a.sequence(0, "iterable").allSatisfy { $0.isTruthy }) },
            Builtin("sort", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                    .keyword("key", "any value", "a function giving each item's sort key"),
                    .keyword("reverse", "bool", default: .bool(false), "largest first"),
                ], "A new sorted list (numbers or strings; stable).",
                help: """
                Returns a new sorted list; the argument is left unchanged. Items (or their keys, when
                `key:` is a function of one item) must be mutually comparable: numbers, strings
                (by Unicode code points), bools, or lists of those (compared item by item); mixing types
                is a type error "cannot compare ...". The sort is stable: items with equal keys keep
                their order, also with `reverse: true`.
                """,
                example: #"""
                sort([3, 1, 2])                          # [1, 2, 3]
                let runs = [{name: "a", loss: 0.4}, {name: "b", loss: 0.2}]
                sort(runs, key: |r| r.loss)              # run b first
                sort(["b", "a"], reverse: true)          # ["b", "a"]
                """#) { a in
                return .list(try a.interpreter.sorted(try a.sequence(0, "iterable"), key: a.optional(nil, "key"), reverse: try a.bool(nil, "reverse")))
            },
            Builtin("reverse", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                ], "A new list with the items in reverse order.",
                help: """
                A new list with the items of the iterable in reverse order (a string gives its characters
                reversed, a range its numbers counting down). The argument is not changed.
                """,
                example: #"""
                reverse([1, 2, 3])     # [3, 2, 1]
                reverse(0..3)          # [2, 1, 0]
                join(reverse("abc"))   # "cba"
                """#) { a in .list(Array(try a.sequence(0, "iterable").reversed())) },
            Builtin("zip", parameters: [
                    .variadic("iterables", "any value", "the lists (or other iterables) to pair"),
                ], "A list of lists pairing items position by position (shortest wins).",
                help: """
                Item k of the result is the list of the k-th items of each argument. The result is as
                long as the shortest argument; extra items are dropped. With no arguments, []. Use it with
                a two-name for loop: `for i, pair in zip(a, b)`.
                """,
                example: #"""
                zip([1, 2, 3], ["a", "b"])     # [[1, "a"], [2, "b"]]
                """#) { a in
                let seqs = try (0..<a.count).map { try a.sequence($0, "iterable \($0 + 1)") }
                let n = seqs.map { $0.count }.min() ?? 0
                return .list((0..<n).map { i in .list(seqs.map { $0[i] }) })
            },
            Builtin("enumerate", parameters: [
                    .positional("iterable", "list or iterable", "a list, range, dict (its keys) or string (its characters)"),
                ], "A list of [index, item] pairs.",
                help: """
                A list of [index, item] pairs, indexes from 0. `for i, x in xs` does the same without
                building the list.
                """,
                example: #"""
                enumerate(["a", "b"])     # [[0, "a"], [1, "b"]]
                """#) { a in
                .list(try a.sequence(0, "iterable").enumerated().map { .list([.int($0.offset), $0.element]) })
            },
            Builtin("sum", parameters: [
                    .positional("iterable", "list or iterable", "the numbers (or natives with +)"),
                ], "The sum of numbers (0 for an empty list); natives with + are added too.",
                help: """
                Adds the items with `+`, starting from 0, so an empty iterable gives 0. Items must be
                numbers or native objects that add to numbers (tensors of the same shape add elementwise);
                strings and lists are a type error (use `join` or `extend`).
                """,
                example: #"""
                sum([1, 2, 3.5])     # 6.5
                sum(0..101)          # 5050
                sum([])              # 0
                """#) { a in
                var acc = Value.number(0)
                for x in try a.sequence(0, "iterable") { acc = try Ops.binary(.add, acc, x) }
                return acc
            },
            Builtin("min", parameters: [
                    .variadic("values", "any value", "one iterable, or two or more values compared"),
                ], "The smallest item.",
                help: """
                With one argument, the smallest item of that iterable; with several, the smallest argument.
                Items compare like `sort` (numbers, strings, bools, lists; mixed types are a type error).
                On ties the first is returned. An empty iterable is a runtime error; a single number is
                not iterable (write min(a, b)).
                """,
                example: #"""
                min([3, 1, 2])       # 1
                min(4, 7)            # 4
                min(["b", "a"])      # "a"
                """#) { a in
                try Interpreter.extreme(a, "min") { try Ops.less($0, $1) }
            },
            Builtin("max", parameters: [
                    .variadic("values", "any value", "one iterable, or two or more values compared"),
                ], "The largest item.",
                help: """
                With one argument, the largest item of that iterable; with several, the largest argument.
                Items compare like `sort` (numbers, strings, bools, lists; mixed types are a type error).
                On ties the first is returned. An empty iterable is a runtime error.
                """,
                example: #"""
                max([3, 1, 2])       # 3
                max(4, 7)            # 7
                """#) { a in
                try Interpreter.extreme(a, "max") { try Ops.less($1, $0) }
            },
            Builtin("index_of", parameters: [
                    .positional("container", "any value", "a list or string"),
                    .positional("item", "any value", "the item or substring searched"),
                ], "Position of the first equal item in a list or substring in a string, or -1.",
                help: """
                In a list: the position of the first item equal (==, structural) to `item`, or -1.
                In a string: the character position of the first occurrence of the substring `item`, or
                -1 (also when `item` is not a string). Other containers are a type error.
                """,
                example: #"""
                index_of([5, 6, 7], 6)       # 1
                index_of("hello", "ll")      # 2
                index_of([1], 9)             # -1
                """#) { a in
                let item = try a.value(1, "item")
                switch try a.value(0, "container") {
                case .list(let l): return .int(l.items.firstIndex { Ops.equal($0, item) } ?? -1)
                case .string(let s):
                    guard case .string(let t) = item, let r = s.range(of: t) else { return .int(-1) }
                    return .int(s.distance(from: s.startIndex, to: r.lowerBound))
                case let v: throw DprmError.type("index_of() needs a list or string, got \(v.typeName)")
                }
            },
            Builtin("contains", parameters: [
                    .positional("container", "any value", "a list, dict (keys), string (substrings) or range"),
                    .positional("item", "any value", "the item searched"),
                ], "Same as `item in container`.",
                help: """
                Whether `item in container` holds: for a list, some item equals it; for a dict, it is a
                key (non-strings are never keys); for a string, it is a substring (the item must be a
                string; "" is in every string); for a range, it is a whole number inside it. Other
                containers are a type error.
                """,
                example: #"""
                contains([1, 2], 2)         # true
                contains({a: 1}, "a")       # true
                contains("hello", "ell")    # true
                contains(0..5, 2.5)         # false
                """#) { a in
                .bool(try Ops.contains(try a.value(0, "container"), try a.value(1, "item")))
            },
            Builtin("keys", parameters: [
                    .positional("dict", "dict", "the dict"),
                ], "The keys in insertion order.",
                help: """
                A new list of the dict's keys (strings) in insertion order; changing the list does not
                change the dict. The argument must be a dict.
                """,
                example: #"""
                keys({b: 1, a: 2})     # ["b", "a"]
                """#) { a in .list(try a.dict(0, "dict").keys.map { .string($0) }) },
            Builtin("values", parameters: [
                    .positional("dict", "dict", "the dict"),
                ], "The values in key order.",
                help: """
                A new list of the dict's values in the order of `keys` (insertion order). The argument
                must be a dict.
                """,
                example: #"""
                values({b: 1, a: 2})   # [1, 2]
                """#) { a in .list(try a.dict(0, "dict").orderedValues) },
            Builtin("items", parameters: [
                    .positional("dict", "dict", "the dict"),
                ], "[key, value] pairs in insertion order.",
                help: """
                A new list of [key, value] pairs in insertion order, for `for pair in d.items()`; the
                inverse of `dict(pairs)`. The argument must be a dict.
                """,
                example: #"""
                items({a: 1, b: 2})    # [["a", 1], ["b", 2]]
                """#) { a in
                .list(try a.dict(0, "dict").pairs.map { .list([.string($0.0), $0.1]) })
            },
            Builtin("has", parameters: [
                    .positional("dict", "dict", "the dict"),
                    .positional("key", "string", "the key"),
                ], "Whether the dict has the key.",
                help: """
                Whether the dict has the key, even when its value is nil. The key must be a string (a
                type error otherwise); `"k" in d` does the same without that check.
                """,
                example: #"""
                let cfg = {lr: 0.1}
                cfg.has("lr")       # true
                has(cfg, "seed")    # false
                """#) { a in .bool(try a.dict(0, "dict").contains(try a.string(1, "key"))) },
            Builtin("get", parameters: [
                    .positional("dict", "dict", "the dict"),
                    .positional("key", "string", "the key"),
                    .positional("default", "any value", optional: true, "the value when the key is absent"),
                ], "The value for key, or the default.",
                help: """
                The value stored under the key (a string), or the default (nil unless given, positional or
                `default:`) when the key is absent. Unlike d["k"], a missing key is not an error.
                """,
                example: #"""
                let cfg = {lr: 0.1}
                get(cfg, "lr")                  # 0.1
                get(cfg, "epochs", 10)          # 10
                cfg.get("seed", default: 0)     # 0
                """#) { a in
                try a.dict(0, "dict")[try a.string(1, "key")] ?? (a.count > 2 ? a.positional[2] : (a.keyword("default") ?? .nil))
            },
            Builtin("dict", parameters: [
                    .positional("pairs", "any value", "a list of [key, value] pairs, or a dict"),
                ], "A dict from a list of [key, value] pairs (or a copy of a dict).",
                help: """
                From a list (or other iterable) of [key, value] pairs, keys strings: a new dict in pair
                order; a later pair with the same key replaces the earlier value (keeping its position).
                From a dict: a shallow copy. Anything else, or a pair that is not a two-item list with a
                string key, is a type error.
                """,
                example: #"""
                dict([["a", 1], ["b", 2]])          # {a: 1, b: 2}
                dict(zip(["x", "y"], [1, 2]))       # {x: 1, y: 2}
                """#) { a in
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
