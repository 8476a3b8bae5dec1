import XCTest
import Tensors
import Autodiff
import PRM
@testable import Reweight

/// Each hypergradient method against its closed form on a quadratic lower level (docs/bilevel.md, "Hypergradients"):
/// H = A, J^T u = -B^T u, so darts gives B^T v, neumann B^T alpha sum_k (I - alpha A)^k v,
/// cg (one iteration) B^T (v.v / v.Av) v, and cg with n iterations B^T A^-1 v.
final class HypergradientTests: XCTestCase {
    func solve(_ q: Quadratic, _ method: HypergradientMethod) -> [Float] {
        let v = [q.theta.value - q.target]
        let solver = HypergradientSolver(theta: ParameterSet([q.theta]), lambda: ParameterSet([q.lambda])) { q.lowerLoss([1]) }
        let before = q.theta.value.toArray()
        let h = try! solver.hypergradient(v, method: method, trace: { _ in })  // one process: nothing to fail
        XCTAssertEqual(q.theta.value.toArray(), before, "theta must be restored exactly")
        return h[0].toArray()
    }

    func assertClose(_ got: [Float], _ want: Tensor, _ tolerance: Float, _ name: String) {
        let w = want.toArray()
        let scale = max(1, w.map(abs).max() ?? 1)
        for (x, y) in zip(got, w) { XCTAssertEqual(x, y, accuracy: tolerance * scale, name) }
    }

    func testDartsMatchesBTransposeV() {
        let q = Quadratic(seed: 3)
        let v = q.theta.value - q.target
        assertClose(solve(q, .darts()), q.b.transposed().matmul(v), 1e-3, "darts")
    }

    func testNeumannMatchesSeries() {
        let q = Quadratic(seed: 4)
        let v = q.theta.value - q.target
        for (k, alpha) in [(1, Float(1.0)), (3, Float(0.05))] {
            var current = v, total = v
            for _ in 0..<k {
                current = current - q.a.matmul(current) * alpha
                total = total + current
            }
            assertClose(solve(q, .neumann(iterations: k, alpha: alpha)), q.b.transposed().matmul(total * alpha), 2e-3, "neumann K=\(k)")
        }
    }

    func testConjugateGradientOneStepAndExactSolve() {
        let q = Quadratic(seed: 5)
        let v = q.theta.value - q.target
        let av = q.a.matmul(v)
        let step = (v * v).sumValue / (v * av).sumValue
        assertClose(solve(q, .cg(iterations: 1)), q.b.transposed().matmul(v * step), 2e-3, "cg 1 step")
        // n CG iterations solve an n x n SPD system exactly: compare with Gaussian elimination.
        let x = Self.solveLinear(q.a.toArray(), v.toArray(), n: q.n)
        assertClose(solve(q, .cg(iterations: q.n)), q.b.transposed().matmul(Tensor(x)), 5e-3, "cg exact")
    }

    func testMethodNamesParse() throws {
        XCTAssertEqual(try HypergradientMethod(name: "darts"), .darts())
        XCTAssertEqual(try HypergradientMethod(name: "CG"), .cg())
        XCTAssertThrowsError(try HypergradientMethod(name: "sama2")) { error in
            XCTAssertTrue("\(error)".contains("darts, neumann or cg"))
        }
    }

    func testDartsProbesNeverDifferentiateTheta() {
        // With theta frozen the probe graph must not reach theta: count rule calls through a spy op.
        let q = Quadratic(seed: 6)
        let solver = HypergradientSolver(theta: ParameterSet([q.theta]), lambda: ParameterSet([q.lambda])) {
            XCTAssertFalse(q.theta.requiresGrad, "theta must be frozen during probes")
            return q.lowerLoss([1])
        }
        _ = try! solver.hypergradient([q.theta.value - q.target], method: .darts(), trace: { _ in })  // one process: nothing to fail
        XCTAssertTrue(q.theta.requiresGrad, "theta is unfrozen afterwards")
    }

    static func solveLinear(_ a: [Float], _ b: [Float], n: Int) -> [Float] {
        var m = (0..<n).map { i in (0..<n).map { Double(a[i * n + $0]) } + [Double(b[i])] }
        for c in 0..<n {
            let pivot = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, pivot)
            for r in 0..<n where r != c {
                let f = m[r][c] / m[c][c]
                for k in c...n { m[r][k] -= f * m[c][k] }
            }
        }
        return (0..<n).map { Float(m[$0][n] / m[$0][$0]) }
    }
}
