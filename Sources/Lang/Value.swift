/// Lang: the .dprm language (lexer, parser, resolver, interpreter, values, diagnostics, notebook cells).
/// Knows nothing numeric: tensors and models reach it as `NativeObject`s registered by `Stdlib`.
import Foundation

/// A .dprm value. Numbers and bools are stored inline (no allocation per arithmetic result);
/// lists and dicts are references (`ListRef`, `DictRef`), so `let b = a; b.push(1)` changes `a`.
public enum Value {
    case `nil`
    case bool(Bool)
    case number(Double)
    case string(String)
    case list(ListRef)
    case dict(DictRef)
    /// Half-open integer range `lo..hi` (exclusive end), iterable and usable as a list slice.
    case range(Int, Int)
    case function(Function)
    case native(NativeObject)

    /// The name of the value's type as the language spells it: `nil`, `bool`, `number`, `string`,
    /// `list`, `dict`, `range`, `function`, or the native object's `typeName`.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .range: return "range"
        case .function: return "function"
        case .native(let n): return n.typeName
        }
    }

    /// Truthiness: `nil`, `false`, `0`, `""`, `[]`, `{}` and empty ranges are false; everything else is true.
    @inline(__always)
    public var isTruthy: Bool {
        switch self {
        case .bool(let b): return b
        case .nil: return false
        case .number(let x): return x != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.items.isEmpty
        case .dict(let d): return d.count > 0
        case .range(let lo, let hi): return hi > lo
        case .function, .native: return true
        }
    }

    /// Convenience constructors used by builtins.
    public static func list(_ items: [Value]) -> Value { .list(ListRef(items)) }
    public static func int(_ i: Int) -> Value { .number(Double(i)) }

    /// The number, if this is a number.
    public var asNumber: Double? { if case .number(let x) = self { return x }; return nil }
    /// The string, if this is a string.
    public var asString: String? { if case .string(let s) = self { return s }; return nil }
    /// The items, if this is a list (a copy of the array; mutate through `ListRef`).
    public var asList: [Value]? { if case .list(let l) = self { return l.items }; return nil }
}

/// A mutable list shared by reference.
public final class ListRef {
    public var items: [Value]
    public init(_ items: [Value] = []) { self.items = items }
    deinit { if items.contains(where: \.isContainer) { Value.releaseIteratively(&items) } }
}

extension Value {
    var isContainer: Bool {
        switch self { case .list, .dict: return true; default: return false }
    }

    /// Releases `values` without recursion. Freeing a list nested 10^6 deep recursed once per
    /// level (each `ListRef` freed its items, one of which freed its own, ...) and overflowed the
    /// stack. Here a container's items go to a per-thread queue instead; only the outermost
    /// release on a thread drains it, one value at a time, and a value freed while draining
    /// adds its own items to the queue and returns, so the native stack never grows with depth.
    static func releaseIteratively(_ values: inout [Value]) {
        let queue = ReleaseQueue.current
        queue.values.append(contentsOf: values)
        values = []
        if queue.draining { return }
        queue.draining = true
        while !queue.values.isEmpty { _ = queue.values.removeLast() }
        queue.draining = false
    }
}

/// The values waiting to be released on one thread (see `Value.releaseIteratively`).
final class ReleaseQueue {
    var values: [Value] = []
    var draining = false

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in if let pointer { Unmanaged<ReleaseQueue>.fromOpaque(pointer).release() } }
        return key
    }()

    /// This thread's queue (created on first use, freed with the thread).
    static var current: ReleaseQueue {
        if let pointer = pthread_getspecific(key) { return Unmanaged<ReleaseQueue>.fromOpaque(pointer).takeUnretainedValue() }
        let queue = ReleaseQueue()
        pthread_setspecific(key, Unmanaged.passRetained(queue).toOpaque())
        return queue
    }
}

/// A mutable dictionary with string keys that remembers insertion order.
public final class DictRef {
    public private(set) var keys: [String] = []
    private var values: [Value] = []
    private var index: [String: Int] = [:]

    public init() {}
    public init(_ pairs: [(String, Value)]) { for (k, v) in pairs { self[k] = v } }
    deinit { if values.contains(where: \.isContainer) { Value.releaseIteratively(&values) } }


    public var count: Int { keys.count }
    /// Values in key order.
    public var orderedValues: [Value] { values }
    /// (key, value) pairs in insertion order.
    public var pairs: [(String, Value)] { Array(zip(keys, values)) }

    public subscript(key: String) -> Value? {
        get { index[key].map { values[$0] } }
        set {
            if let v = newValue {
                if let i = index[key] { values[i] = v } else {
                    index[key] = keys.count; keys.append(key); values.append(v)
                }
            } else if let i = index.removeValue(forKey: key) {
                keys.remove(at: i); values.remove(at: i)
                for j in i..<keys.count { index[keys[j]] = j }
            }
        }
    }
    public func contains(_ key: String) -> Bool { index[key] != nil }
}

/// A mutable cell holding one value: a global variable, or a local captured by a closure.
/// Storage sits behind a pointer so reads and writes need no exclusivity bookkeeping.
public final class Box {
    @usableFromInline struct Storage { @usableFromInline var value: Value; @usableFromInline var defined: Bool
        @usableFromInline init(value: Value, defined: Bool) { self.value = value; self.defined = defined } }
    @usableFromInline let ref: UnsafeMutablePointer<Storage>
    public init(_ value: Value, defined: Bool = true) {
        ref = .allocate(capacity: 1); ref.initialize(to: Storage(value: value, defined: defined))
    }
    deinit { ref.deinitialize(count: 1); ref.deallocate() }
    @inlinable public var value: Value {
        get { ref.pointee.value }
        set { ref.pointee.value = newValue }
    }
    /// False for a global that is referenced (for example by a function body) but not yet defined.
    @inlinable public var defined: Bool {
        get { ref.pointee.defined }
        set { ref.pointee.defined = newValue }
    }
}

/// A callable value: a function or lambda written in .dprm (a closure over its captured variables),
/// a builtin, or a method bound to its receiver. Call it from Swift with `Interpreter.call`.
public final class Function {
    /// The name shown in stack traces and by `print` (`<lambda>` for anonymous functions).
    public let name: String
    /// The builtin's entry, when this is a builtin or a method bound from one.
    public let builtin: Builtin?
    let proto: FunctionProto?
    let captures: UnsafeMutablePointer<Box>
    let captureCount: Int
    let native: ((inout Arguments) throws -> Value)?
    let receiver: Value?
    // Copies of the prototype's fields read by the call fast path (one object to touch, no retains).
    let fastArity: Int      // parameter count when the prototype is simple, else -1
    let slotCount: Int
    let boxCount: Int
    let body: Code
    /// The prototype, unretained, when the function is simple and captures nothing: then a call
    /// needs nothing of this object (body and slot counts are in the prototype, which the
    /// interpreter keeps alive), so the call fast path need not retain it (see `Value.plainCallee`).
    let plainProto: Unmanaged<FunctionProto>?

    init(proto: FunctionProto, captures: ContiguousArray<Box>) {
        self.name = proto.name; self.proto = proto
        self.fastArity = proto.simple ? proto.paramCount : -1
        self.slotCount = proto.slotCount; self.boxCount = proto.boxCount; self.body = proto.body
        self.captureCount = captures.count
        self.plainProto = proto.simple && captures.isEmpty ? Unmanaged.passUnretained(proto) : nil
        self.captures = .allocate(capacity: max(1, captures.count))
        for (k, b) in captures.enumerated() { (self.captures + k).initialize(to: b) }
        self.native = nil; self.builtin = nil; self.receiver = nil
    }

    /// A function implemented in Swift. `receiver`, when given, is passed as the first positional
    /// argument (a bound method such as `xs.push`).
    public init(name: String, builtin: Builtin? = nil, receiver: Value? = nil,
                _ implementation: @escaping (inout Arguments) throws -> Value) {
        self.name = name; self.builtin = builtin; self.receiver = receiver
        self.native = implementation; self.proto = nil
        self.fastArity = -1; self.slotCount = 0; self.boxCount = 0; self.body = { _ in .nil }; self.plainProto = nil
        self.captures = .allocate(capacity: 1); self.captureCount = 0
    }
    deinit { captures.deinitialize(count: captureCount); captures.deallocate() }

    /// Parameter names for display, e.g. `["x", "lr = 0.1", "...rest"]` (empty for natives).
    public var parameterNames: [String] { proto?.displayParams ?? [] }
}

/// What the call fast path needs of a plain .dprm function (simple, nothing captured): see
/// `Value.plainCallee`.
struct PlainCallee {
    let proto: Unmanaged<FunctionProto>
    let slotCount: Int
    let boxCount: Int
}

extension Value {
    /// The prototype and frame size of a plain .dprm function (simple, nothing captured) taking
    /// `arity` arguments, read without retaining the function; nil for any other value.
    ///
    /// Why no retain is needed: a call of a plain function touches only its prototype, and the
    /// interpreter keeps every compiled prototype alive (`Interpreter.compiledFunctions`), so the
    /// call is safe even if the callee overwrites the variable that held the last reference to the
    /// function (`fn f() { f = nil; ... }`). Retaining and releasing the function was an atomic
    /// read-modify-write pair per call, a fifth of the instructions of a call like `fib(n - 1)`.
    @inline(__always)
    func plainCallee(arity: Int) -> PlainCallee? {
        if case .function(let fn) = self, fn.fastArity == arity, let p = fn.plainProto {
            return PlainCallee(proto: p, slotCount: fn.slotCount, boxCount: fn.boxCount)
        }
        return nil
    }
}

/// One item of an index expression: `t[0, 1:3, ::2]` gives `[.value(0), .slice(1, 3, nil), .slice(nil, nil, 2)]`.
public enum IndexItem {
    case value(Value)
    case slice(start: Int?, stop: Int?, step: Int?)
}

/// Binary operators a native object may implement (see `NativeObject.binary`).
public enum BinaryOperator: String, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "**"
    case matmul = "@"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

/// Literals as values, for declarations such as a parameter's `default: 0` or `default: "mean"`.
extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral i: Int) { self = .number(Double(i)) }
    public init(floatLiteral x: Double) { self = .number(x) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
}
