import Foundation

/// Help text and example of every `core` builtin, by name. The implementations (Core*.swift) carry
/// name, signature and one-line summary next to the argument parsing; the longer text lives here
/// so the code stays readable. `coreRegistry()` joins the two; LangTests check that every builtin
/// has an entry and every entry a builtin, and `BuiltinDocTests` runs every example.
///
/// Examples run in a fresh interpreter with a scratch working directory and must succeed; files
/// they write go under /tmp. A trailing `# value` comment shows what a line gives.
let coreHelp: [String: (help: String, example: String)] = [
    // MARK: basics
    "print": (
        """
        Writes the printed form of each value (strings without quotes, numbers in shortest form,
        lists and dicts as literals, tensors as summaries), separated by `sep`, followed by `end`.
        Output goes to the interpreter's output (stdout, or the notebook cell / REPL capture).
        With no values it writes just `end`. `sep` and `end` must be strings.
        """,
        #"""
        print("loss", 0.5)               # loss 0.5
        print(1, 2, 3, sep: ", ")        # 1, 2, 3
        print("no newline", end: "")
        """#),
    "format": (
        """
        The spec is `[[fill]align][+][0][width][,][.precision][type]`. Align is `<` (left), `>`
        (right) or `^` (center), optionally preceded by one fill character; `+` always shows the
        sign; `0` pads numbers with zeros; a comma groups thousands. Types: `f` fixed, `e`
        exponent, `g` general, `%` percent (x * 100 in `f` style, then %), `d` whole number, `s`
        string; without a type, the printed form. The same specs work inside strings: "{x:.3f}".
        An empty spec gives the printed form. Numbers align right by default, other values left;
        on a string `.n` keeps the first n characters. Errors: a malformed spec; "d" on a number with a fraction; a numeric type on a non-number.
        """,
        #"""
        format(3.14159, ".2f")    # "3.14"
        format(1234567, ",d")     # "1,234,567"
        format(0.256, ".1%")      # "25.6%"
        format("ab", "*^6")       # "**ab**"
        """#),
    "len": (
        """
        Lists and dicts count their items, strings their characters (not bytes: "héllo" has 5),
        ranges their whole numbers (0 for an empty range), native objects report their own length
        (a tensor: the size of its first axis). Numbers, bools, nil and functions have no length:
        a type error.
        """,
        #"""
        len([1, 2, 3])     # 3
        len("héllo")       # 5
        len({a: 1})        # 1
        len(2..5)          # 3
        """#),
    "type": (
        """
        One of "nil", "bool", "number", "string", "list", "dict", "range", "function", or a native
        object's own type name ("tensor", "model", ...). Builtins, lambdas and bound methods are all
        "function". Useful for checks in functions that take several kinds of argument.
        """,
        #"""
        type(1)          # "number"
        type("a")        # "string"
        type(0..3)       # "range"
        type(print)      # "function"
        """#),
    "str": (
        """
        The same text `print` writes for the value: a string is returned unchanged (no quotes),
        numbers in shortest round-trip form (3, 0.1, 1e-05), lists and dicts in literal form with
        strings quoted inside, native objects as their description. For a fixed number of
        decimals use `format` or "{x:.3f}".
        """,
        #"""
        str(3)            # "3"
        str(0.1 + 0.2)    # "0.30000000000000004"
        str([1, "a"])     # "[1, \"a\"]"
        """#),
    "repr": (
        """
        Like `str`, but a string comes back quoted and escaped as a .dprm literal, so the result
        shows where a string starts and ends (useful when debugging whitespace). Other values give
        the same text as `str`; native objects give their one-line summary.
        """,
        #"""
        repr("a\tb")     # "\"a\\tb\""
        repr(3)          # "3"
        """#),
    "num": (
        """
        A number is returned unchanged; true and false become 1 and 0; a string is parsed after
        trimming spaces ("1", " 2.5 ", "1e-3", "-inf", "nan" all work). Any other text is a
        runtime error naming the string; lists, dicts, nil and other types are a type error.
        """,
        #"""
        num("1e-3")      # 0.001
        num(" 42 ")      # 42
        num(true)        # 1
        """#),
    "bool": (
        """
        The truth value `if` and `while` use: nil, false, 0, "" (empty string), [] (empty list),
        {} (empty dict) and empty ranges are false; everything else is true, including "0", "false",
        nan, functions and native objects.
        """,
        #"""
        bool(0)       # false
        bool("0")     # true
        bool([])      # false
        """#),
    "range": (
        """
        range(stop) is the range 0..stop, range(start, stop) is start..stop: half-open (stop is not
        included), lazy, iterable, indexable and sliceable. With a step other than 1 (positional or
        `step:`) the result is a list of start, start+step, ... stopping before stop; a negative
        step counts down. Arguments must be whole numbers; step 0 is an error. A stop at or
        before start gives an empty range.
        """,
        #"""
        range(3)              # 0..3, i.e. 0, 1, 2
        range(2, 5)           # 2..5
        range(0, 10, 3)       # [0, 3, 6, 9]
        range(5, 0, step: -2) # [5, 3, 1]
        """#),
    "help": (
        """
        help("name") prints the signature, summary, help text and example of a builtin from any
        registered module, or the parameters of a .dprm function (pass the function itself or its
        name). help() lists every builtin, module by module, one line each. An unknown name is an
        error with a "did you mean" suggestion. In the REPL `:help name` does the same.
        """,
        #"""
        help("len")
        fn area(w, h = 1) { w * h }
        help(area)
        """#),
    "error": (
        """
        Raises a runtime error with the message; it stops the script (exit code 70) with the usual
        location and stack trace of .dprm frames, or returns to the prompt in the REPL. Use it
        to reject bad input in your own functions. The message must be a string; interpolate
        values into it.
        """,
        #"""
        fn check_lr(lr) {
          if lr <= 0 { error("lr must be positive, got {lr}") }
          lr
        }
        check_lr(0.1)     # 0.1; check_lr(0) stops with "lr must be positive, got 0"
        """#),
    "assert": (
        """
        Does nothing when the condition is truthy (see `bool`); otherwise raises a runtime error
        with the message (default "assertion failed") at the call. The condition is any value,
        not only a bool.
        """,
        #"""
        let xs = [3, 1, 2]
        assert(len(xs) == 3)
        assert(xs, message: "xs must not be empty")
        """#),
    "call": (
        """
        Calls any function value (a .dprm function, a lambda, a builtin, a bound method) with the
        remaining positional arguments and the keyword arguments of this call. Useful when the
        function is computed (taken from a dict or a list). Errors from the callee pass through;
        a non-function first argument is a type error.
        """,
        #"""
        call(max, 3, 7)                       # 7
        let ops = {double: |x| x * 2}
        call(ops.double, 21)                  # 42
        call(round, 3.14159, digits: 2)       # 3.14
        """#),

    // MARK: lists and dicts
    "push": (
        """
        Appends each value to the end of the list in place (other holders of the same list see
        the change) and returns the list, so calls can be chained. Pushing a list adds it as one
        item; use `extend` to add its items. The first argument must be a list.
        """,
        #"""
        let xs = []
        xs.push(1)
        push(xs, 2, 3)     # [1, 2, 3]
        """#),
    "pop": (
        """
        Removes the item at the index from the list and returns it; the index counts from the end
        when negative, so the default -1 is the last item. An empty list or an index out of range
        is a runtime error.
        """,
        #"""
        let xs = [1, 2, 3]
        xs.pop()        # 3, xs is [1, 2]
        xs.pop(0)       # 1, xs is [2]
        """#),
    "insert": (
        """
        Inserts the value so that it ends up at position index, shifting later items right; a
        negative index counts from the end. Indexes past either end are clamped (insert at the
        front or the back), never an error. Changes the list in place and returns it.
        """,
        #"""
        let xs = [1, 3]
        xs.insert(1, 2)       # [1, 2, 3]
        xs.insert(100, 4)     # [1, 2, 3, 4]
        """#),
    "remove": (
        """
        For a dict: deletes the key (a string) and returns the value it had, or nil if absent.
        For a list: deletes the first item equal (==, structural) to the given value and returns
        true, or returns false when there is none. Changes the container in place. Other
        containers are a type error; to remove by position use `pop`.
        """,
        #"""
        let d = {a: 1, b: 2}
        d.remove("a")         # 1, d is {b: 2}
        let xs = [1, 2, 1]
        xs.remove(1)          # true, xs is [2, 1]
        """#),
    "clear": (
        """
        Removes every item of a list or every key of a dict, in place (all holders of it see an
        empty container). Returns nil. Other values are a type error.
        """,
        #"""
        let xs = [1, 2]
        xs.clear()
        len(xs)          # 0
        """#),
    "extend": (
        """
        Appends every item of `other` (a list, range, dict's keys, string's characters or native
        iterable) to the list in place and returns the list. Extending a list with itself doubles
        it.
        """,
        #"""
        let xs = [1]
        xs.extend([2, 3])    # [1, 2, 3]
        xs.extend(4..6)      # [1, 2, 3, 4, 5]
        """#),
    "list": (
        """
        A new list (never shared with the argument): a list is copied shallowly, a range is
        expanded, a dict gives its keys in insertion order, a string its characters, a native
        iterable its items. Non-iterables are a type error.
        """,
        #"""
        list(0..3)        # [0, 1, 2]
        list("ab")        # ["a", "b"]
        list({x: 1})      # ["x"]
        """#),
    "copy": (
        """
        A new list or dict holding the same items (shallow: nested lists and dicts are shared,
        not copied). Numbers, strings and other immutable values are returned as they are; native
        objects (tensors, models) are returned as the same object.
        """,
        #"""
        let a = [1, [2]]
        let b = copy(a)
        b.push(3)          # a stays [1, [2]]
        """#),
    "map": (
        """
        Calls f on each item of the iterable in order and returns the list of the results.
        f is any function of one argument (a lambda, a .dprm function, a builtin). Errors raised
        by f stop the map and propagate.
        """,
        #"""
        map([1, 2], |x| x * 10)     # [10, 20]
        map(["a", "b"], upper)      # ["A", "B"]
        """#),
    "filter": (
        """
        Returns a new list of the items for which f(item) is truthy (see `bool`), in their
        original order. f is called once per item.
        """,
        #"""
        filter(0..10, |x| x % 3 == 0)     # [0, 3, 6, 9]
        filter(["a", "", "b"], |s| s)     # ["a", "b"]
        """#),
    "reduce": (
        """
        Starts from `initial` and replaces it by f(accumulator, item) for each item in order;
        returns the final accumulator (`initial` itself for an empty iterable). The initial value
        is required.
        """,
        #"""
        reduce([1, 2, 3], |acc, x| acc + x, 0)        # 6
        reduce(["a", "b"], |acc, s| acc + s, ">")     # ">ab"
        """#),
    "any": (
        """
        True when at least one item is truthy (see `bool`); false for an empty iterable.
        """,
        #"""
        any([0, "", 3])           # true
        any(map([1, 2], |x| x > 5))   # false
        """#),
    "all": (
        """
        True when every item is truthy (see `bool`); true for an empty iterable.
        """,
        #"""
        all([1, "a", [0]])    # true
        all([])               # true
        """#),
    "sort": (
        """
        Returns a new sorted list; the argument is left unchanged. Items (or their keys, when
        `key:` is a function of one item) must be mutually comparable: numbers, strings
        (by Unicode code points), bools, or lists of those (compared item by item); mixing types
        is a type error "cannot compare ...". The sort is stable: items with equal keys keep
        their order, also with `reverse: true`.
        """,
        #"""
        sort([3, 1, 2])                          # [1, 2, 3]
        let runs = [{name: "a", loss: 0.4}, {name: "b", loss: 0.2}]
        sort(runs, key: |r| r.loss)              # run b first
        sort(["b", "a"], reverse: true)          # ["b", "a"]
        """#),
    "reverse": (
        """
        A new list with the items of the iterable in reverse order (a string gives its characters
        reversed, a range its numbers counting down). The argument is not changed.
        """,
        #"""
        reverse([1, 2, 3])     # [3, 2, 1]
        reverse(0..3)          # [2, 1, 0]
        join(reverse("abc"))   # "cba"
        """#),
    "zip": (
        """
        Item k of the result is the list of the k-th items of each argument. The result is as
        long as the shortest argument; extra items are dropped. With no arguments, []. Use it with
        a two-name for loop: `for i, pair in zip(a, b)`.
        """,
        #"""
        zip([1, 2, 3], ["a", "b"])     # [[1, "a"], [2, "b"]]
        """#),
    "enumerate": (
        """
        A list of [index, item] pairs, indexes from 0. `for i, x in xs` does the same without
        building the list.
        """,
        #"""
        enumerate(["a", "b"])     # [[0, "a"], [1, "b"]]
        """#),
    "sum": (
        """
        Adds the items with `+`, starting from 0, so an empty iterable gives 0. Items must be
        numbers or native objects that add to numbers (tensors of the same shape add elementwise);
        strings and lists are a type error (use `join` or `extend`).
        """,
        #"""
        sum([1, 2, 3.5])     # 6.5
        sum(0..101)          # 5050
        sum([])              # 0
        """#),
    "min": (
        """
        With one argument, the smallest item of that iterable; with several, the smallest argument.
        Items compare like `sort` (numbers, strings, bools, lists; mixed types are a type error).
        On ties the first is returned. An empty iterable is a runtime error; a single number is
        not iterable (write min(a, b)).
        """,
        #"""
        min([3, 1, 2])       # 1
        min(4, 7)            # 4
        min(["b", "a"])      # "a"
        """#),
    "max": (
        """
        With one argument, the largest item of that iterable; with several, the largest argument.
        Items compare like `sort` (numbers, strings, bools, lists; mixed types are a type error).
        On ties the first is returned. An empty iterable is a runtime error.
        """,
        #"""
        max([3, 1, 2])       # 3
        max(4, 7)            # 7
        """#),
    "index_of": (
        """
        In a list: the position of the first item equal (==, structural) to `item`, or -1.
        In a string: the character position of the first occurrence of the substring `item`, or
        -1 (also when `item` is not a string). Other containers are a type error.
        """,
        #"""
        index_of([5, 6, 7], 6)       # 1
        index_of("hello", "ll")      # 2
        index_of([1], 9)             # -1
        """#),
    "contains": (
        """
        Whether `item in container` holds: for a list, some item equals it; for a dict, it is a
        key (non-strings are never keys); for a string, it is a substring (the item must be a
        string; "" is in every string); for a range, it is a whole number inside it. Other
        containers are a type error.
        """,
        #"""
        contains([1, 2], 2)         # true
        contains({a: 1}, "a")       # true
        contains("hello", "ell")    # true
        contains(0..5, 2.5)         # false
        """#),
    "keys": (
        """
        A new list of the dict's keys (strings) in insertion order; changing the list does not
        change the dict. The argument must be a dict.
        """,
        #"""
        keys({b: 1, a: 2})     # ["b", "a"]
        """#),
    "values": (
        """
        A new list of the dict's values in the order of `keys` (insertion order). The argument
        must be a dict.
        """,
        #"""
        values({b: 1, a: 2})   # [1, 2]
        """#),
    "items": (
        """
        A new list of [key, value] pairs in insertion order, for `for pair in d.items()`; the
        inverse of `dict(pairs)`. The argument must be a dict.
        """,
        #"""
        items({a: 1, b: 2})    # [["a", 1], ["b", 2]]
        """#),
    "has": (
        """
        Whether the dict has the key, even when its value is nil. The key must be a string (a
        type error otherwise); `"k" in d` does the same without that check.
        """,
        #"""
        let cfg = {lr: 0.1}
        cfg.has("lr")       # true
        has(cfg, "seed")    # false
        """#),
    "get": (
        """
        The value stored under the key (a string), or the default (nil unless given, positional or
        `default:`) when the key is absent. Unlike d["k"], a missing key is not an error.
        """,
        #"""
        let cfg = {lr: 0.1}
        get(cfg, "lr")                  # 0.1
        get(cfg, "epochs", 10)          # 10
        cfg.get("seed", default: 0)     # 0
        """#),
    "dict": (
        """
        From a list (or other iterable) of [key, value] pairs, keys strings: a new dict in pair
        order; a later pair with the same key replaces the earlier value (keeping its position).
        From a dict: a shallow copy. Anything else, or a pair that is not a two-item list with a
        string key, is a type error.
        """,
        #"""
        dict([["a", 1], ["b", 2]])          # {a: 1, b: 2}
        dict(zip(["x", "y"], [1, 2]))       # {x: 1, y: 2}
        """#),

    // MARK: math
    "abs": (
        """
        |x| for a number (abs(-0) is 0, abs(nan) is nan). A native object with an `abs` method
        (a tensor) is mapped elementwise through it. Other values are a type error.
        """,
        "abs(-2.5)     # 2.5"),
    "floor": (
        """
        Rounds toward minus infinity: floor(2.7) is 2, floor(-2.1) is -3; whole numbers, inf and
        nan are unchanged. x must be a number (tensors have no floor: a type error).
        """,
        #"""
        floor(2.7)      # 2
        floor(-2.1)     # -3
        """#),
    "ceil": (
        """
        Rounds toward plus infinity: ceil(2.1) is 3, ceil(-2.7) is -2; whole numbers, inf and nan
        are unchanged. x must be a number (tensors have no ceil: a type error).
        """,
        #"""
        ceil(2.1)       # 3
        ceil(-2.7)      # -2
        """#),
    "sqrt": (
        """
        The non-negative square root; sqrt of a negative number is nan (no error), sqrt(inf) is
        inf. Tensors: elementwise through their `sqrt` method.
        """,
        #"""
        sqrt(16)        # 4
        sqrt(2)         # 1.4142135623730951
        """#),
    "exp": (
        """
        e ** x. Overflows to inf above about 709.78; exp(-inf) is 0. Tensors: elementwise through
        their `exp` method.
        """,
        #"""
        exp(0)      # 1
        exp(1)      # 2.718281828459045
        """#),
    "log": (
        """
        The natural logarithm (base e). log(0) is -inf and log of a negative number is nan; no
        error is raised, so check with `is_finite` when inputs may be zero. Tensors: elementwise
        through their `log` method.
        """,
        #"""
        log(e)      # 1
        log(1)      # 0
        """#),
    "log2": (
        """
        The base-2 logarithm; log2(0) is -inf, negatives give nan. x must be a number (for tensors
        use t.log() / log(2)).
        """,
        "log2(1024)     # 10"),
    "log10": (
        """
        The base-10 logarithm; log10(0) is -inf, negatives give nan. x must be a number (for
        tensors use t.log() / log(10)).
        """,
        "log10(1000)    # 3"),
    "sin": (
        """
        The sine of an angle in radians (multiply degrees by pi / 180). sin(inf) is nan. x must
        be a number (tensors: a type error).
        """,
        "sin(pi / 2)    # 1"),
    "cos": (
        """
        The cosine of an angle in radians. cos(inf) is nan. x must be a number (tensors: a type
        error).
        """,
        "cos(0)         # 1"),
    "tan": (
        """
        The tangent of an angle in radians; near pi / 2 it is very large rather than inf (pi / 2
        is not exact in floating point). x must be a number (tensors: a type error).
        """,
        "tan(pi / 4)    # 0.9999999999999999"),
    "tanh": (
        """
        The hyperbolic tangent, in (-1, 1); tanh(inf) is 1. Tensors: elementwise through their
        `tanh` method (differentiable).
        """,
        "tanh(0.5)      # 0.46211715726000974"),
    "sigmoid": (
        """
        The logistic function 1 / (1 + exp(-x)), in [0, 1]: sigmoid(0) is 0.5, large negative x
        gives 0 (no overflow error). Tensors: elementwise through their `sigmoid` method
        (differentiable).
        """,
        #"""
        sigmoid(0)      # 0.5
        sigmoid(-1000)  # 0
        """#),
    "round": (
        """
        Rounds to `digits` decimals (default 0, a whole number), halves away from zero
        (round(2.5) is 3, round(-2.5) is -3). Negative digits round to tens, hundreds, ...
        Binary floating point means some halves are not exact (round(1.005, 2) gives 1). For
        display, prefer format(x, ".2f"). x must be a number, digits a whole number.
        """,
        #"""
        round(3.14159, 2)     # 3.14
        round(2.5)            # 3
        round(1234, -2)       # 1200
        """#),
    "pow": (
        """
        x raised to the power y, for numbers; the same as x ** y. pow(0, 0) is 1; a negative x
        with a fractional y gives nan; overflow gives inf. For tensors use `**`.
        """,
        #"""
        pow(2, 10)      # 1024
        pow(9, 0.5)     # 3
        """#),
    "clamp": (
        """
        min(max(x, lo), hi) for numbers: lo when x < lo, hi when x > hi, else x. When lo > hi
        the result is hi. x, lo and hi must be numbers; for tensors use t.clamp(lo, hi).
        """,
        #"""
        clamp(1.7, 0, 1)      # 1
        clamp(-3, 0, 1)       # 0
        clamp(0.25, 0, 1)     # 0.25
        """#),
    "is_nan": (
        """
        True only for nan (not a number), the result of 0 / 0, inf - inf, sqrt(-1), log(-1).
        nan is the only value not equal to itself, so `x == nan` is always false: use this.
        The argument must be a number.
        """,
        #"""
        is_nan(0 / 0)     # true
        is_nan(inf)       # false
        """#),
    "is_finite": (
        """
        True for ordinary numbers, false for inf, -inf and nan. Use it to stop training when a
        loss diverges. The argument must be a number.
        """,
        #"""
        is_finite(1e308)       # true
        is_finite(1 / 0)       # false
        """#),
    "mean": (
        """
        The sum of the numbers divided by their count. Every item must be a number (a type error
        names the first other type); an empty iterable is a runtime error. For tensors use the
        `mean` method (`t.mean()`).
        """,
        #"""
        mean([1, 2, 3, 4])     # 2.5
        mean(0..10)            # 4.5
        """#),

    // MARK: strings
    "split": (
        """
        With a separator (a non-empty string, positional or `sep:`): the pieces between its
        occurrences, keeping empty pieces (",a," gives ["", "a", ""]). Without one: the words
        separated by runs of whitespace (spaces, tabs, newlines), with no empty pieces. An empty
        separator is a type error.
        """,
        #"""
        "a,b".split(",")          # ["a", "b"]
        split("  one two\n")      # ["one", "two"]
        split("a,,b", sep: ",")   # ["a", "", "b"]
        """#),
    "join": (
        """
        Concatenates the printed forms of the items (strings unquoted, numbers in shortest form)
        with `sep` between them (default ""). The items may be any iterable. The inverse of
        split.
        """,
        #"""
        ["a", "b"].join(", ")     # "a, b"
        join([1, 2, 3], "-")      # "1-2-3"
        join(["x", "y"])          # "xy"
        """#),
    "strip": (
        """
        Removes whitespace (spaces, tabs, newlines, carriage returns) from both ends; inner
        whitespace is kept. The argument must be a string.
        """,
        #"""
        strip("  a b \n")     # "a b"
        """#),
    "lstrip": (
        """
        Removes whitespace (spaces, tabs, newlines) from the start only. The argument must be a
        string.
        """,
        #"""
        lstrip("  a ")     # "a "
        """#),
    "rstrip": (
        """
        Removes whitespace (spaces, tabs, newlines) from the end only, e.g. the line break of a
        line read from a file. The argument must be a string.
        """,
        #"""
        rstrip("  a \n")     # "  a"
        """#),
    "replace": (
        """
        Replaces every non-overlapping occurrence of `old`, left to right, by `new`. An empty
        `old` is a runtime error. All three arguments must be strings.
        """,
        #"""
        replace("a-b-c", "-", "+")      # "a+b+c"
        "aaa".replace("aa", "b")        # "ba"
        """#),
    "upper": (
        """
        The string with every letter in upper case (Unicode-aware: "ß" becomes "SS").
        """,
        #"""
        upper("Loss")     # "LOSS"
        """#),
    "lower": (
        """
        The string with every letter in lower case (Unicode-aware).
        """,
        #"""
        lower("Loss")     # "loss"
        """#),
    "starts_with": (
        """
        Whether the string begins with the prefix; every string starts with "". Both arguments
        must be strings.
        """,
        #"""
        starts_with("train.json", "train")    # true
        "x".starts_with("")                   # true
        """#),
    "ends_with": (
        """
        Whether the string ends with the suffix; every string ends with "". Both arguments must
        be strings.
        """,
        #"""
        ends_with("train.json", ".json")      # true
        """#),
    "lines": (
        """
        Splits at "\\n", dropping a "\\r" before it (Windows line ends), so the lines carry no line
        breaks. A final line break does not make an empty last line; "" gives []. Blank lines in
        the middle are kept as "".
        """,
        #"""
        lines("a\nb\r\n\nc\n")     # ["a", "b", "", "c"]
        """#),
    "chars": (
        """
        The characters of the string, each as a one-character string (user-perceived characters:
        "é" is one, even when written as e + accent). `for c in s` iterates the same way.
        """,
        #"""
        chars("héllo")     # ["h", "é", "l", "l", "o"]
        """#),
    "pad": (
        """
        The printed form of the value widened to `width` characters with the `fill` character
        (default a space): align "left" puts the fill after, "right" before, "center" around
        (extra fill after). A value already at least `width` long is returned unchanged, never cut.
        `align` is "left", "right" or "center" and `fill` exactly one character, else a runtime
        error.
        """,
        #"""
        pad("ab", 5)                             # "ab   "
        pad(7, 3, align: "right", fill: "0")     # "007"
        pad("x", 3, "center")                    # " x "
        """#),

    // MARK: files and time
    "read_file": (
        """
        The whole file as a string (UTF-8). A relative path is relative to the working directory.
        A missing file, or one that is not UTF-8 text, is a runtime error naming the path.
        """,
        #"""
        write_file("/tmp/dprm-example-read_file.txt", "hello\n")
        read_file("/tmp/dprm-example-read_file.txt")      # "hello\n"
        """#),
    "write_file": (
        """
        Writes the printed form of `text` (a string as is; numbers, lists, ... as `str` gives them)
        to the file, replacing it. The write is atomic: a temporary file in the same folder is
        renamed over the target, so readers see the old or the new content, never a half file.
        The folder must exist (see `make_dir`), else a runtime error naming it. No line break is
        added.
        """,
        #"""
        write_file("/tmp/dprm-example-write_file.txt", "line 1\n")
        """#),
    "append_file": (
        """
        Appends the printed form of `text` to the end of the file, creating the file when it does
        not exist (its folder must exist). Unlike `write_file` the append is not atomic; use it
        for logs. No line break is added.
        """,
        #"""
        let log = "/tmp/dprm-example-append_file.log"
        write_file(log, "")
        append_file(log, "step 1\n")
        append_file(log, "step 2\n")
        lines(read_file(log))        # ["step 1", "step 2"]
        """#),
    "read_json": (
        """
        Reads and parses a JSON file: objects become dicts (keys in file order), arrays lists,
        numbers numbers, true/false bools, null nil. A missing file or malformed JSON is a runtime
        error naming the file and the position.
        """,
        #"""
        write_json("/tmp/dprm-example-read_json.json", {lr: 0.1, layers: [64, 32]})
        let cfg = read_json("/tmp/dprm-example-read_json.json")
        cfg.layers[0]       # 64
        """#),
    "write_json": (
        """
        Writes the value as JSON followed by a line break, atomically (temporary file + rename).
        `indent:` spaces per level (default 2; 0 writes one line). Dicts keep their key order,
        ranges become arrays, inf and nan become null. Functions and native objects cannot be
        written (a type error); convert a tensor with t.tolist() first.
        """,
        #"""
        write_json("/tmp/dprm-example-write_json.json", {run: "a", losses: [0.5, 0.25]})
        write_json("/tmp/dprm-example-write_json-compact.json", [1, 2], indent: 0)
        """#),
    "json_parse": (
        """
        Parses JSON text into values like `read_json` (objects become dicts in order, null nil).
        Malformed text, or anything after the value, is a runtime error with the position.
        """,
        #"""
        json_parse('{"a": [1, 2, null]}')     # {a: [1, 2, nil]}
        """#),
    "json_string": (
        """
        The value as JSON text: one line by default, or with `indent:` spaces per level. Same
        rules as `write_json` (inf and nan become null; functions and natives are a type error).
        """,
        #"""
        json_string({a: 1, b: [true, nil]})     # '{"a":1,"b":[true,null]}'
        json_string([1], indent: 2)
        """#),
    "read_csv": (
        """
        Parses an RFC 4180 CSV file (quoted fields may hold commas, "" for a quote, line breaks).
        With header: true (default) the first row names the columns and each later row becomes
        a dict; a row with a different number of fields is a runtime error naming the file and
        row. With header: false every row is a list. Fields that parse as numbers become numbers,
        all others (including empty fields) stay strings.
        """,
        #"""
        write_file("/tmp/dprm-example-read_csv.csv", "name,loss\na,0.5\n\"b, c\",0.25\n")
        let rows = read_csv("/tmp/dprm-example-read_csv.csv")
        rows[1].name          # "b, c"
        rows[0].loss + 1      # 1.5
        read_csv("/tmp/dprm-example-read_csv.csv", header: false)[0]     # ["name", "loss"]
        """#),
    "write_csv": (
        """
        Writes rows as CSV atomically. Rows that are dicts are written under a header line: the
        `columns:` given (a list of names, also picking and ordering them), else the keys of the
        first row; a missing key writes an empty field. Rows that are lists are written as they
        are (a header only if columns are given). Fields are printed forms, quoted when they hold
        a comma, quote or line break. A row of another type is a type error.
        """,
        #"""
        let rows = [{name: "a", loss: 0.5}, {name: "b, c", loss: 0.25}]
        write_csv("/tmp/dprm-example-write_csv.csv", rows)
        write_csv("/tmp/dprm-example-write_csv-loss.csv", rows, columns: ["loss"])
        write_csv("/tmp/dprm-example-write_csv-lists.csv", [[1, 2], [3, 4]])
        """#),
    "path_join": (
        """
        Joins the parts with "/" (adding one only where missing). Empty parts are skipped; a part
        starting with "/" is absolute and discards what came before it. All parts must be strings.
        The path is not checked against the file system.
        """,
        #"""
        path_join("runs", "a", "log.txt")     # "runs/a/log.txt"
        path_join("runs/", "x.json")          # "runs/x.json"
        path_join("runs", "/tmp")             # "/tmp"
        """#),
    "basename": (
        """
        The last component of the path: the file name with its extension ("a/b.json" gives
        "b.json"); a trailing "/" is ignored ("a/b/" gives "b"). The file need not exist.
        """,
        #"""
        basename("runs/a/log.txt")     # "log.txt"
        """#),
    "dirname": (
        """
        Everything before the last "/": "a/b.json" gives "a", "/a" gives "/", and a path without
        "/" gives ".". Pure text, the file need not exist.
        """,
        #"""
        dirname("runs/a/log.txt")     # "runs/a"
        dirname("log.txt")            # "."
        """#),
    "exists": (
        """
        Whether a file or folder exists at the path (relative to the working directory unless
        absolute). Never an error; a broken symbolic link counts as absent.
        """,
        #"""
        exists("/tmp")                    # true
        exists("/no/such/file.json")      # false
        """#),
    "list_dir": (
        """
        The names (not paths) of the entries of the folder, files and folders alike, including
        hidden ones, sorted by name. Use path_join(dir, name) to open them. A missing path or a
        file is a runtime error.
        """,
        #"""
        make_dir("/tmp/dprm-example-list_dir/sub")
        write_file("/tmp/dprm-example-list_dir/a.txt", "x")
        list_dir("/tmp/dprm-example-list_dir")     # ["a.txt", "sub"]
        """#),
    "make_dir": (
        """
        Creates the folder and any missing parents, like `mkdir -p`; an existing folder is fine.
        A failure (no permission, a file in the way) is a runtime error naming the path.
        """,
        #"""
        make_dir("/tmp/dprm-example-make_dir/runs/a")
        exists("/tmp/dprm-example-make_dir/runs/a")     # true
        """#),
    "env": (
        """
        The value of the environment variable (a string), or `default` (nil unless given) when it
        is not set. The name must be a string.
        """,
        #"""
        env("HOME")
        env("DPRM_EXAMPLE_UNSET", "fallback")     # "fallback"
        """#),
    "time": (
        """
        Seconds since 1970-01-01 UTC as a number with a fraction (wall clock). It can jump when
        the system clock is set; for durations use `clock`.
        """,
        #"""
        let stamp = time()
        print("started at {stamp:.0f}")
        """#),
    "clock": (
        """
        Seconds from an arbitrary fixed point, never going backwards (monotonic); only differences
        mean something. Use it to time code.
        """,
        #"""
        let t0 = clock()
        sum(0..1000)
        print("took {clock() - t0:.6f} s")
        """#),
    "sleep": (
        """
        Waits the given number of seconds (fractions allowed; zero or negative returns at once).
        Ctrl-C interrupts it within 50 ms.
        """,
        #"""
        sleep(0.01)
        """#),

    // MARK: random
    "seed": (
        """
        Resets the interpreter's random generator (the one behind random, randint, normal,
        shuffle and choice) to a state given by the whole number n, so the following draws repeat
        exactly. Each interpreter starts as if seed(0) was called. Tensor builtins take their own
        `seed:` arguments.
        """,
        #"""
        seed(42)
        let a = random()
        seed(42)
        assert(random() == a)
        """#),
    "random": (
        """
        A uniformly distributed number in [0, 1) from the seeded generator (see `seed`).
        """,
        #"""
        seed(1)
        random()
        """#),
    "randint": (
        """
        A whole number from a to b with both ends included, each equally likely, from the seeded
        generator. a and b must be whole numbers with a <= b (else a runtime error).
        """,
        #"""
        seed(1)
        randint(1, 6)     # a die roll
        """#),
    "normal": (
        """
        A number drawn from the normal distribution with the given mean and standard deviation
        (positional or `mean:` / `std:`), via the Box-Muller transform on the seeded generator.
        std 0 gives the mean; a negative std acts like its absolute value (the distribution is
        symmetric).
        """,
        #"""
        seed(1)
        normal()                     # around 0
        normal(mean: 10, std: 2)     # around 10
        """#),
    "shuffle": (
        """
        Puts the list's items in a uniformly random order, in place (Fisher-Yates, seeded
        generator), and returns the same list. Use shuffle(copy(xs)) to keep the original.
        The argument must be a list.
        """,
        #"""
        seed(1)
        let xs = [1, 2, 3, 4]
        shuffle(xs)
        sort(xs)     # [1, 2, 3, 4]
        """#),
    "choice": (
        """
        One item of the list (or any iterable: range, string, dict keys) picked uniformly with the
        seeded generator. An empty iterable is a runtime error.
        """,
        #"""
        seed(1)
        choice(["a", "b", "c"])
        choice(0..10)
        """#),
]

extension Builtin {
    /// This builtin with `help` and `example` set (core builtins get theirs from `coreHelp`).
    func documented(help: String, example: String) -> Builtin {
        Builtin(name, signature, summary, help: help, example: example, implementation)
    }
}
