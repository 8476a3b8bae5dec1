import Tensors

extension Variable {
    /// Matrix product (NumPy semantics, batched, broadcast). The backward products use
    /// transposed views, which BLAS reads without copies.
    public func matmul(_ other: Variable) -> Variable {
        let (a, b) = (value, other.value)
        return Variable.result(a.matmul(b), [self, other]) { g in
            // Promote 1-d operands so the rules below are the 2-d ones.
            let a2 = a.rank == 1 ? a.unsqueezed(0) : a
            let b2 = b.rank == 1 ? b.unsqueezed(1) : b
            var g2 = g
            if a.rank == 1 { g2 = g2.unsqueezed(g2.rank - (b.rank == 1 ? 0 : 1)) }
            if b.rank == 1 { g2 = g2.unsqueezed(g2.rank) }
            let ga = self.requiresGrad ? g2.matmul(b2.transposed()).sumToShape(a2.shape).reshaped(a.shape) : nil
            let gb = other.requiresGrad ? a2.transposed().matmul(g2).sumToShape(b2.shape).reshaped(b.shape) : nil
            return [ga, gb]
        }
    }
}
