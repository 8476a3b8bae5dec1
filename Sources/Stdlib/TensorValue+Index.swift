import Lang
import Tensors
import Autodiff

/// Indexing: `t[0]`, `t[1:3]`, `t[0, 1:3]`, `t[:, 2]`, `t[::-1]`, `t[[0, 2]]`. Numbers select (the
/// axis goes away), slices with a positive step are views, negative steps and lists of indices pick
/// rows (a copy). All of it goes through the Variable, so gradients flow back into the source.
extension TensorValue {
    /// One resolved step of an index expression, on the axis numbering of the partial result.
    enum IndexStep {
        case select(axis: Int, index: Int)
        case slice(axis: Int, start: Int, end: Int, step: Int)
        case pick(axis: Int, indices: [Int])
    }

    /// Checks every item against the shape and turns it into steps (no tensor work yet).
    func resolveIndex(_ items: [IndexItem]) throws -> [IndexStep] {
        let shape = self.shape
        guard items.count <= shape.count else {
            throw DprmError.runtime("too many indices for tensor \(Tensor.describe(shape)): \(items.count) given, rank \(shape.count)")
        }
        var steps: [IndexStep] = []
        var axis = 0   // axis in the partial result
        for (source, item) in items.enumerated() {
            let n = shape[source]
            func outOfRange(_ i: Int) -> DprmError {
                DprmError.runtime("index \(i) out of range for axis \(source) of size \(n) (tensor \(Tensor.describe(shape)))")
            }
            switch item {
            case .value(.number(let x)):
                guard x == x.rounded(), Swift.abs(x) < 9e15 else { throw DprmError.type("tensor index must be a whole number, got \(x)") }
                let i = Int(x)
                let j = i < 0 ? i + n : i
                guard j >= 0 && j < n else { throw outOfRange(i) }
                steps.append(.select(axis: axis, index: j))
            case .value(.range(let lo, let hi)):
                let s = Swift.min(Swift.max(lo < 0 ? lo + n : lo, 0), n)
                let e = Swift.min(Swift.max(hi < 0 ? hi + n : hi, s), n)
                if !(s == 0 && e == n) { steps.append(.slice(axis: axis, start: s, end: e, step: 1)) }
                axis += 1
            case .value(let v):
                let raw = try TensorValue.ints(from: v, what: "tensor index")
                var picked: [Int] = []
                picked.reserveCapacity(raw.count)
                for i in raw {
                    let j = i < 0 ? i + n : i
                    guard j >= 0 && j < n else { throw outOfRange(i) }
                    picked.append(j)
                }
                steps.append(.pick(axis: axis, indices: picked))
                axis += 1
            case .slice(let start, let stop, let step):
                let st = step ?? 1
                guard st != 0 else { throw DprmError.runtime("slice step cannot be zero") }
                if st > 0 {
                    let s = Swift.min(Swift.max((start ?? 0) < 0 ? (start ?? 0) + n : (start ?? 0), 0), n)
                    let e0 = stop ?? n
                    let e = Swift.min(Swift.max(e0 < 0 ? e0 + n : e0, s), n)
                    if !(s == 0 && e == n && st == 1) { steps.append(.slice(axis: axis, start: s, end: e, step: st)) }
                } else {
                    // Python's rule for negative steps: start defaults to the end, stop to before 0.
                    func norm(_ i: Int?, _ def: Int) -> Int {
                        guard let i else { return def }
                        return Swift.min(Swift.max(i < 0 ? i + n : i, -1), n - 1)
                    }
                    var i = norm(start, n - 1)
                    let e = norm(stop, -1)
                    var picked: [Int] = []
                    while i > e { picked.append(i); i += st }
                    steps.append(.pick(axis: axis, indices: picked))
                }
                axis += 1
            }
        }
        return steps
    }

    public func index(_ items: [IndexItem]) throws -> Value {
        var v = variable
        for step in try resolveIndex(items) {
            switch step {
            case .select(let a, let i): v = v.selecting(axis: a, index: i)
            case .slice(let a, let s, let e, let st): v = v.sliced(axis: a, start: s, end: e, step: st)
            case .pick(let a, let idx): v = v.indexSelect(axis: a, indices: idx)
            }
        }
        return TensorValue.wrap(v)
    }

    /// Writes into the selected view in place (numpy semantics: views of this tensor see it).
    /// Only for tensors that record no gradient: writing into a parameter or a recorded result
    /// would silently corrupt the graph.
    public func setIndex(_ items: [IndexItem], _ value: Value) throws {
        guard !variable.requiresGrad else {
            throw DprmError.runtime("cannot assign into a tensor that requires grad (a parameter or a result computed from one); assign into a detach() or copy() of it")
        }
        var view = variable.value
        for step in try resolveIndex(items) {
            switch step {
            case .select(let a, let i): view = view.selecting(axis: a, index: i)
            case .slice(let a, let s, let e, let st): view = view.sliced(axis: a, start: s, end: e, step: st)
            case .pick:
                throw DprmError.runtime("index assignment takes numbers and slices with a positive step (not lists of indices or negative steps)")
            }
        }
        let source = try TensorValue.tensor(from: value, what: "assigned value")
        guard (try? Tensor.broadcastShape(source.shape, view.shape)) == view.shape else {
            throw DprmError.runtime("cannot assign a tensor of shape \(Tensor.describe(source.shape)) to a slice of shape \(Tensor.describe(view.shape))")
        }
        guard !zip(view.shape, view.strides).contains(where: { $0.0 > 1 && $0.1 == 0 }) else {
            throw DprmError.runtime("cannot assign into a broadcast view; copy() the tensor first")
        }
        if view.count == 0 { return }
        view.assign(source)
    }
}
