import Tensors

extension Variable {
    /// Nodes that need a gradient, ordered so each comes after all nodes computed from it
    /// (reverse topological order from `self`). Iterative, so deep graphs do not overflow the stack.
    func reverseTopologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad && visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order.reversed()
    }

    /// Runs the gradient rules from `self`, seeded with `seed` (default: ones), and hands the total
    /// gradient of every node for which `wanted` is true to `deliver`. A node's gradient is
    /// released as soon as its rule has run, so backward temporaries do not pile up.
    func propagate(seed: Tensor?, wanted: (Variable) -> Bool, deliver: (Variable, Tensor) -> Void) {
        guard requiresGrad else { return }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed ?? Tensor.ones(value.shape)]
        for node in reverseTopologicalOrder() {
            guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            if wanted(node) { deliver(node, g.shape == node.value.shape ? g : g.reshaped(node.value.shape)) }
            guard let rule = node.gradientRule else { continue }
            for (parent, pg) in zip(node.parents, rule(g)) where parent.requiresGrad {
                guard let pg else { continue }
                let key = ObjectIdentifier(parent)
                if var existing = pending.removeValue(forKey: key) {
                    // In place when the running sum's buffer is owned by nothing else.
                    if existing.shape == pg.shape { existing.accumulate(pg) } else { existing = existing + pg }
                    pending[key] = existing
                } else {
                    pending[key] = pg
                }
            }
        }
    }

    /// Accumulates d(self)/d(leaf) into `grad` of every leaf that requires a gradient.
    /// `self` is usually a scalar loss; for other shapes pass the upstream gradient as `seed`.
    public func backward(seed: Tensor? = nil) {
        propagate(seed: seed, wanted: { $0.isLeaf }) { leaf, g in
            leaf.grad = leaf.grad.map { $0 + g } ?? g.contiguous()
        }
    }
}

/// Gradients of `output` with respect to `inputs` (leaves or intermediate nodes), without
/// touching any `.grad`. An input the output does not depend on gets zeros.
public func gradients(of output: Variable, wrt inputs: [Variable], seed: Tensor? = nil) -> [Tensor] {
    let wanted = Set(inputs.map { ObjectIdentifier($0) })
    var found: [ObjectIdentifier: Tensor] = [:]
    output.propagate(seed: seed, wanted: { wanted.contains(ObjectIdentifier($0)) }) { node, g in
        found[ObjectIdentifier(node)] = g
    }
    return inputs.map { found[ObjectIdentifier($0)] ?? Tensor.zeros($0.value.shape) }
}
