import Lang
import Tensors
import Autodiff

/// A tensor as .dprm sees it: an Autodiff `Variable`, so every op on a parameter (or on a result
/// computed from one) records its gradient; plain tensors are Variables with `requiresGrad` false
/// and record nothing.
///
/// Every shape is checked with the Tensors throwing validators (`broadcastShape`, `matmulShape`,
/// `resolveReshape`) before the non-throwing op runs, so bad input raises a `DprmError` naming the
/// operation and the shapes ("cannot matmul [3x4] by [5x2]") and never reaches a precondition.
public final class TensorValue: TabledObject {
    /// The wrapped variable (value, gradient, graph).
    public let variable: Variable

    public init(_ variable: Variable) { self.variable = variable }
    /// A tensor without gradient.
    public convenience init(_ tensor: Tensor) { self.init(Variable(tensor)) }

    /// The current value.
    public var tensor: Tensor { variable.value }
    public var shape: [Int] { variable.value.shape }
    public var rank: Int { variable.value.rank }

    public var typeName: String { "tensor" }

    @inline(__always) static func wrap(_ v: Variable) -> Value { .native(TensorValue(v)) }

    // MARK: printing

    /// `Tensor[3x4] float32` (with `requires_grad` for parameters and results computed from them);
    /// 0-d tensors as `tensor(0.5)`.
    public var summary: String {
        let t = variable.value
        if t.rank == 0 { return "tensor(\(t.formatted()))" + (variable.requiresGrad ? " requires_grad" : "") }
        return "Tensor\(Tensor.describe(t.shape)) float32" + (variable.requiresGrad ? " requires_grad" : "")
    }

    /// `Tensor[shape] float32`, then at most 6 rows and 6 columns of values, aligned in columns;
    /// a 0-d tensor the same way (`Tensor[] float32` and its value).
    public var description: String {
        let t = variable.value
        if t.count == 0 { return summary }
        let header = "Tensor\(Tensor.describe(t.shape)) float32" + (variable.requiresGrad ? " requires_grad" : "")
        return header + "\n" + t.formatted(limit: 6)
    }

    // MARK: length and iteration

    public var length: Int? { rank == 0 ? nil : shape[0] }

    /// Iterates over the first axis: rows of a matrix, 0-d tensors of a vector (gradients flow).
    public func makeIterator() throws -> (() throws -> Value?)? {
        guard rank > 0 else { throw DprmError.type("cannot iterate over a 0-d tensor (use item())") }
        let n = shape[0], v = variable
        var i = 0
        return {
            guard i < n else { return nil }
            defer { i += 1 }
            return TensorValue.wrap(v.selecting(axis: 0, index: i))
        }
    }

    // MARK: operators

    public func negate() throws -> Value? { TensorValue.wrap(-variable) }

    static func verb(_ op: BinaryOperator) -> String {
        switch op {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        case .power: return "raise"
        case .modulo: return "take the remainder of"
        case .matmul: return "matmul"
        default: return "compare"
        }
    }

    public func binary(_ op: BinaryOperator, _ other: Value, isRight: Bool) throws -> Value? {
        let x = variable
        if case .number(let n) = other, op != .matmul, op != .modulo, !op.isComparison {
            let s = Float(n)
            switch op {
            case .add: return TensorValue.wrap(x + s)
            case .subtract: return TensorValue.wrap(isRight ? s - x : x - s)
            case .multiply: return TensorValue.wrap(x * s)
            case .divide: return TensorValue.wrap(isRight ? s / x : x / s)
            case .power: return TensorValue.wrap(isRight ? Variable(Tensor(s)).pow(x) : x.pow(s))
            default: break
            }
        }
        let y: Variable
        switch other {
        case .native(let n):
            guard let t = n as? TensorValue else { return nil }
            y = t.variable
        case .number(let n): y = Variable(Tensor(Float(n)))
        case .bool(let b): y = Variable(Tensor(b ? 1 : 0))
        case .list, .range: y = Variable(try TensorValue.nested(other, what: "operand of \(op.rawValue)"))
        default: return nil
        }
        let (a, b) = isRight ? (y, x) : (x, y)
        if op == .modulo { return nil }
        if op == .matmul {
            do { _ = try Tensor.matmulShape(a.shape, b.shape) } catch { throw DprmError.runtime("\(error)") }
            return TensorValue.wrap(a.matmul(b))
        }
        do { _ = try Tensor.broadcastShape(a.shape, b.shape) } catch {
            let joiner = op == .power ? "to the power" : (op == .divide ? "by" : "and")
            throw DprmError.runtime("cannot \(TensorValue.verb(op)) \(Tensor.describe(a.shape)) \(joiner) \(Tensor.describe(b.shape)) (shapes do not broadcast)")
        }
        switch op {
        case .add: return TensorValue.wrap(a + b)
        case .subtract: return TensorValue.wrap(a - b)
        case .multiply: return TensorValue.wrap(a * b)
        case .divide: return TensorValue.wrap(a / b)
        case .power: return TensorValue.wrap(a.pow(b))
        default:
            let kind: BinaryOp
            switch op {
            case .equal: kind = .equal
            case .notEqual: kind = .notEqual
            case .less: kind = .less
            case .lessEqual: kind = .lessEqual
            case .greater: kind = .greater
            default: kind = .greaterEqual
            }
            let r = a.value.binary(kind, b.value)
            // Two scalars compare to a bool, so `if t[0] > 0 { ... }` does what it says.
            if r.rank == 0 { return .bool(r.toArray()[0] != 0) }
            return .tensor(r)
        }
    }
}

extension BinaryOperator {
    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}
