import XCTest
import Tensors
import Autodiff
@testable import NN

/// Learning-rate schedules against torch / the transformers formulas (Fixtures/schedules.json),
/// and gradient clipping against torch.nn.utils.clip_grad_norm_ (Fixtures/clip.json).
final class ScheduleTests: XCTestCase {
    static let fixture = try! Fixture.json("schedules.json")

    func check(_ name: String, _ make: ([String: Any]) -> Schedule) {
        let c = Self.fixture[name] as! [String: Any]
        let base = (c["base"] as! NSNumber).doubleValue
        let expected = (c["lrs"] as! [NSNumber]).map(\.doubleValue)
        let schedule = make(c)
        let p = Variable(Tensor([0]), requiresGrad: true)
        let opt = SGD([("p", p)], lr: base)
        let scheduler = LRScheduler(opt, schedule: schedule)
        var got = [opt.learningRate]
        for _ in 1..<expected.count { scheduler.step(); got.append(opt.learningRate) }
        for (i, (g, e)) in zip(got, expected).enumerated() {
            assertClose(g, e, rtol: 1e-12, atol: 1e-15, "\(name) lr at step \(i)")
            assertClose(scheduler.lr(at: i), e, rtol: 1e-12, atol: 1e-15, "\(name) lr(at: \(i))")
        }
    }

    func int(_ c: [String: Any], _ k: String) -> Int { (c[k] as! NSNumber).intValue }
    func dbl(_ c: [String: Any], _ k: String) -> Double { (c[k] as! NSNumber).doubleValue }

    func testStepLR() { check("step_lr") { .step(stepSize: self.int($0, "step_size"), gamma: self.dbl($0, "gamma")) } }
    func testCosineWithWarmup() { check("cosine_warmup") { .cosineWithWarmup(warmup: self.int($0, "warmup"), total: self.int($0, "total")) } }
    func testCosineWithWarmupOneCycle() {
        check("cosine_warmup_1cycle") { .cosineWithWarmup(warmup: self.int($0, "warmup"), total: self.int($0, "total"), cycles: self.dbl($0, "cycles")) }
    }
    func testLinearWithWarmup() { check("linear_warmup") { .linearWithWarmup(warmup: self.int($0, "warmup"), total: self.int($0, "total")) } }

    func testConstantSchedulesAndStateRestore() throws {
        let opt = SGD([("p", Variable(Tensor([0]), requiresGrad: true))], lr: 0.5)
        let s = LRScheduler(opt, schedule: .constantWithWarmup(warmup: 4))
        XCTAssertEqual(opt.learningRate, 0)
        for _ in 0..<2 { s.step() }
        XCTAssertEqual(opt.learningRate, 0.25)
        let saved = s.stateDict()
        for _ in 0..<5 { s.step() }
        XCTAssertEqual(opt.learningRate, 0.5)
        try s.load(stateDict: saved)
        XCTAssertEqual(s.currentStep, 2)
        XCTAssertEqual(opt.learningRate, 0.25)
        XCTAssertEqual(Schedule.constant.multiplier(at: 1000), 1)
        XCTAssertThrowsError(try s.load(stateDict: [:]))
    }

    func testClipGradNormMatchesTorch() {
        let fixture = try! Fixture.json("clip.json")
        for (name, value) in fixture.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            let grads = (c["grads"] as! [Any]).map { Fixture.tensor($0) }
            let clipped = (c["clipped"] as! [Any]).map { Fixture.tensor($0) }
            let params = grads.map { g -> Variable in
                let p = Variable(Tensor.zeros(g.shape), requiresGrad: true)
                p.grad = g.copy()
                return p
            }
            let total = clipGradNorm(params, maxNorm: (c["max_norm"] as! NSNumber).floatValue)
            assertClose(Double(total), (c["total"] as! NSNumber).doubleValue, rtol: 1e-6, "\(name) total norm")
            for (i, (p, e)) in zip(params, clipped).enumerated() {
                assertClose(p.grad!, e, rtol: 1e-6, atol: 1e-8, "\(name) clipped grad \(i)")
            }
        }
    }

    /// Backward can give two leaves the same gradient tensor; clipping must scale each once.
    func testClipDoesNotScaleASharedGradientTwice() {
        let a = Variable(Tensor([0, 0]), requiresGrad: true), b = Variable(Tensor([0, 0]), requiresGrad: true)
        (a + b).sum().backward(seed: nil)
        let total = clipGradNorm([a, b], maxNorm: 1)
        XCTAssertEqual(total, 2, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.toArray()[0], 0.5, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.toArray()[0], 0.5, accuracy: 1e-5)
    }
}
