import Foundation
import Tensors
import Autodiff
import PRM
@testable import Reweight
import Support

/// Plain SGD for engine tests (NN's optimizers are tested in NNTests).
final class TestSGD: LevelOptimizer {
    let parameters: [Variable]
    var learningRate: Float
    var steps = 0
    init(_ parameters: [Variable], lr: Float) { self.parameters = parameters; self.learningRate = lr }
    func step() {
        steps += 1
        for p in parameters { if let g = p.grad { p.value = p.value - g * learningRate } }
    }
    func stateSnapshot() -> [String: Tensor] { ["steps": Tensor(Float(steps))] }
    func restoreState(_ state: [String: Tensor]) throws { steps = Int(state["steps"]!.item) }
}

/// StepLR-like scheduler halving the lr every `every` steps.
final class TestHalving: LevelScheduler {
    let optimizer: LevelOptimizer
    let base: Float
    let every: Int
    var stepsTaken = 0 { didSet { optimizer.learningRate = base * Float(pow(0.5, Double(stepsTaken / every))) } }
    init(_ optimizer: LevelOptimizer, every: Int) { self.optimizer = optimizer; self.base = optimizer.learningRate; self.every = every }
    func step() { stepsTaken += 1 }
}

/// A quadratic bi-level problem with closed-form hypergradients:
/// L_low = 0.5 theta^T A theta - theta^T B lam (per batch item scaled by the item), L_up = 0.5 ||theta - t||^2.
struct Quadratic {
    let n = 4, m = 3
    let a: Tensor, b: Tensor, target: Tensor
    let theta: Variable, lambda: Variable

    init(seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        let q = Tensor.randn([n, n], rng: &rng)
        a = q.matmul(q.transposed()) + Tensor.eye(n) * 2  // symmetric positive definite
        b = Tensor.randn([n, m], rng: &rng)
        target = Tensor.randn([n], rng: &rng)
        theta = Variable(Tensor.randn([n], rng: &rng), requiresGrad: true, name: "theta")
        lambda = Variable(Tensor.randn([m], rng: &rng), requiresGrad: true, name: "lambda")
    }

    func lowerLoss(_ batch: [Float]) -> Variable {
        let scale = batch.reduce(0, +) / Float(batch.count)
        let quad = (theta * Variable(a).matmul(theta)).sum() * 0.5
        let coupling = (theta * Variable(b).matmul(lambda)).sum()
        return (quad - coupling) * scale
    }

    func upperLoss(_ batch: [Float]) -> Variable {
        let d = theta - Variable(target)
        return (d * d).sum() * 0.5
    }
}
