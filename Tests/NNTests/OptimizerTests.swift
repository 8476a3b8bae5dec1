import XCTest
import Tensors
import Autodiff
@testable import NN

/// Five steps of each optimizer on a fixed quadratic against torch.optim (Fixtures/optim.json),
/// and exact save/restore of the state.
final class OptimizerTests: XCTestCase {
    static let fixture = try! Fixture.json("optim.json")

    struct Problem {
        let params: [(String, Variable)]
        let coef: [String: Tensor]
        let centre: [String: Tensor]

        init() {
            let f = OptimizerTests.fixture
            let initial = Fixture.tensors(f["init"])
            params = ["w", "b"].map { ($0, Variable(initial[$0]!.copy(), requiresGrad: true, name: $0)) }
            coef = Fixture.tensors(f["coef"])
            centre = Fixture.tensors(f["centre"])
        }

        /// loss = sum_k sum(coef_k * (p_k - centre_k)^2); backward into the params.
        func backward() {
            for (_, p) in params { p.grad = nil }
            var loss: Variable?
            for (name, p) in params {
                let d = p - Variable(centre[name]!)
                let term = (Variable(coef[name]!) * d * d).sum()
                loss = loss.map { $0 + term } ?? term
            }
            loss!.backward()
        }
    }

    func makeOptimizer(_ run: String, _ params: [(String, Variable)]) -> Optimizer {
        let options = ((Self.fixture["runs"] as! [String: Any])[run] as! [String: Any])["options"] as! [String: Any]
        func num(_ k: String, _ d: Double) -> Double { (options[k] as? NSNumber)?.doubleValue ?? d }
        let betas = (options["betas"] as? [NSNumber])?.map(\.doubleValue) ?? [0.9, 0.999]
        switch run {
        case let r where r.hasPrefix("sgd"):
            return SGD(params, lr: num("lr", 0), momentum: Float(num("momentum", 0)), dampening: Float(num("dampening", 0)),
                       weightDecay: Float(num("weight_decay", 0)), nesterov: (options["nesterov"] as? Bool) ?? false)
        case "adam_wd":
            return Adam(params, lr: num("lr", 0), beta1: betas[0], beta2: betas[1], eps: Float(num("eps", 1e-8)),
                        weightDecay: Float(num("weight_decay", 0)))
        case "hf_adamw":
            return AdamW(params, lr: num("lr", 0), beta1: betas[0], beta2: betas[1], eps: Float(num("eps", 1e-6)),
                         weightDecay: Float(num("weight_decay", 0)), variant: .huggingFace)
        default:
            return AdamW(params, lr: num("lr", 0), beta1: betas[0], beta2: betas[1], eps: Float(num("eps", 1e-8)),
                         weightDecay: Float(num("weight_decay", 0.01)))
        }
    }

    func testEveryOptimizerMatchesTorchForFiveSteps() {
        let runs = Self.fixture["runs"] as! [String: Any]
        XCTAssertEqual(runs.count, 8)
        for (run, value) in runs.sorted(by: { $0.key < $1.key }) {
            let r = value as! [String: Any]
            let problem = Problem()
            let opt = makeOptimizer(run, problem.params)
            for (step, expected) in (r["trajectory"] as! [Any]).enumerated() {
                problem.backward()
                opt.step()
                let e = Fixture.tensors(expected)
                for (name, p) in problem.params {
                    assertClose(p.value, e[name]!, rtol: 1e-5, atol: 1e-6, "\(run) step \(step + 1) param \(name)")
                }
            }
            let state = opt.stateDict()
            for (key, t) in Fixture.tensors(r["state"]) {
                guard let mine = state[key] else { XCTFail("\(run): no state '\(key)'"); continue }
                assertClose(mine.reshaped(t.shape), t, rtol: 1e-5, atol: 1e-7, "\(run) state \(key)")
            }
        }
    }

    /// Save after 2 steps, take 3 more, restore, take the same 3 again: bit-identical.
    func testStateSaveRestoreIsExact() throws {
        for run in ["adamw", "sgd_momentum_wd", "adam_wd"] {
            let problem = Problem()
            let opt = makeOptimizer(run, problem.params)
            for _ in 0..<2 { problem.backward(); opt.step() }
            let savedState = opt.stateDict()
            let savedParams = problem.params.map { $0.1.value.copy() }
            for _ in 0..<3 { problem.backward(); opt.step() }
            let first = problem.params.map { $0.1.value.toArray() }
            let firstState = opt.stateDict().mapValues { $0.toArray() }
            try opt.load(stateDict: savedState)
            for (p, v) in zip(problem.params, savedParams) { p.1.value = v.copy() }
            for _ in 0..<3 { problem.backward(); opt.step() }
            XCTAssertEqual(problem.params.map { $0.1.value.toArray() }, first, "\(run): params after restore")
            XCTAssertEqual(opt.stateDict().mapValues { $0.toArray() }, firstState, "\(run): state after restore")
            XCTAssertEqual(savedState["w.step"]?.item, 2, "\(run): saved state must not follow later steps")
        }
    }

    func testStateLoadErrorsNameTheProblem() {
        let problem = Problem()
        let opt = AdamW(problem.params)
        problem.backward(); opt.step()
        var state = opt.stateDict()
        state["w.exp_avg"] = Tensor.zeros([2, 2])
        XCTAssertThrowsError(try opt.load(stateDict: state)) { XCTAssertTrue("\($0)".contains("w.exp_avg") && "\($0)".contains("[2x2]"), "\($0)") }
        state = opt.stateDict()
        state["nope.exp_avg"] = Tensor.zeros([1])
        XCTAssertThrowsError(try opt.load(stateDict: state)) { XCTAssertTrue("\($0)".contains("unexpected keys: nope.exp_avg"), "\($0)") }
        state = opt.stateDict()
        state["b.exp_avg_sq"] = nil
        XCTAssertThrowsError(try opt.load(stateDict: state)) { XCTAssertTrue("\($0)".contains("b.exp_avg_sq"), "\($0)") }
        // An empty state resets.
        XCTAssertNoThrow(try opt.load(stateDict: [:]))
        XCTAssertTrue(opt.stateDict().isEmpty)
    }

    func testParametersWithoutGradientAreSkipped() {
        let a = Variable(Tensor([1, 2]), requiresGrad: true), b = Variable(Tensor([3]), requiresGrad: true)
        let opt = Adam([("a", a), ("b", b)], lr: 0.1)
        (a * a).sum().backward()
        opt.step()
        XCTAssertEqual(b.value.toArray(), [3])
        XCTAssertNil(opt.stateDict()["b.step"])
        XCTAssertEqual(opt.stateDict()["a.step"]?.item, 1)
        opt.zeroGrad()
        XCTAssertNil(a.grad)
    }
}
