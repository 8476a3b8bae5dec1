import Foundation
import Lang
import Tensors
import Autodiff
import NN

extension Stdlib {
    static func reduction(_ a: Arguments, _ index: Int) throws -> Reduction {
        switch try a.string(index, "reduction", default: "mean") {
        case "mean": return .mean
        case "sum": return .sum
        case "none": return .none
        case let s: throw DprmError.runtime("\(a.callee)(): reduction must be \"mean\", \"sum\" or \"none\", got \(quote(s))")
        }
    }

    static func quote(_ s: String) -> String { "\"" + s + "\"" }

    /// Parameters for an optimizer or clip_grad_norm: a module, or a list of parameter tensors.
    static func parameters(_ a: Arguments, _ index: Int, _ name: String) throws -> [(String, Variable)] {
        let v = try a.value(index, name)
        if case .native(let n) = v, let m = n as? ModuleValue { return m.module.namedParameters() }
        let ps = try a.tensorList(index, name)
        for (k, p) in ps.enumerated() where !(p.variable.requiresGrad && p.variable.isLeaf) {
            throw DprmError.runtime("\(a.callee)(): \(name)[\(k)] is not a parameter (make it with param(t))")
        }
        return ps.enumerated().map { (String($0.offset), $0.element.variable) }
    }

    static func betas(_ a: Arguments) throws -> (Double, Double) {
        guard let v = a.optional(nil, "betas") else { return (0.9, 0.999) }
        guard case .list(let l) = v, l.items.count == 2, case .number(let b1) = l.items[0], case .number(let b2) = l.items[1],
              (0..<1).contains(b1), (0..<1).contains(b2) else {
            throw DprmError.type("\(a.callee)() argument 'betas' must be a list of two numbers in [0, 1), got \(v.description)")
        }
        return (b1, b2)
    }

    static func nonNegative(_ a: Arguments, _ index: Int?, _ name: String, default d: Double) throws -> Double {
        let x = try a.number(index, name, default: d)
        guard x >= 0, x.isFinite else { throw DprmError.runtime("\(a.callee)(): \(name) must be a non-negative number, got \(formatNumber(x))") }
        return x
    }

    /// A loss of two broadcasting tensors with a `reduction` keyword (`mse`, `bce_with_logits`).
    static func elementwiseLoss(_ name: String, _ argNames: (String, String), _ summary: String, help: String, example: String,
                                _ loss: @escaping (Variable, Variable, Reduction) -> Variable) -> Builtin {
        Builtin(name, parameters: [
                .positional(argNames.0, "tensor (or number/list)", "the prediction"),
                .positional(argNames.1, "tensor (or number/list)", "the target (broadcasts to \(argNames.0))"),
                .positional("reduction", "string", default: .string("mean"), "\"mean\", \"sum\" or \"none\""),
            ], summary, help: help, example: example) { a in
            let x = try a.variable(0, argNames.0), y = try a.variable(1, argNames.1)
            do { _ = try Tensor.broadcastShape(x.shape, y.shape) } catch {
                throw DprmError.runtime("\(name)(): \(argNames.0) \(Tensor.describe(x.shape)) and \(argNames.1) \(Tensor.describe(y.shape)) do not broadcast")
            }
            return .variable(loss(x, y, try reduction(a, 2)))
        }
    }

    /// `adam` / `adamw`: the same arguments, the update variant and default weight decay differ.
    static func adamFamily(_ name: String, variant: Adam.Variant, defaultDecay: Double,
                           summary: String, help: String, example: String) -> Builtin {
        Builtin(name, parameters: [
                .positional("params", "list of tensors or module", "the parameters: a list of param tensors or a module"),
                .positional("lr", "number", default: .number(1e-3), "the learning rate"),
                .keyword("betas", "list of 2 numbers", default: .list(ListRef([.number(0.9), .number(0.999)])), "decay rates of the first and second moment estimates"),
                .keyword("eps", "number", default: .number(1e-8), "added to the denominator"),
                .keyword("weight_decay", "number", default: .number(defaultDecay), name == "adamw" ? "decoupled weight decay" : "L2 penalty added to the gradient"),
            ], summary, help: help, example: example) { a in
            let ps = try parameters(a, 0, "params")
            let (b1, b2) = try betas(a)
            return .native(OptimizerValue(Adam(ps, lr: try nonNegative(a, 1, "lr", default: 1e-3), beta1: b1, beta2: b2,
                                               eps: Float(try nonNegative(a, nil, "eps", default: 1e-8)),
                                               weightDecay: Float(try nonNegative(a, nil, "weight_decay", default: defaultDecay)),
                                               variant: variant), kind: name))
        }
    }

    static func tensorNN(_ state: TensorRandomState) -> [Builtin] {
        [
            // MARK: losses
            Builtin("cross_entropy", parameters: [
                    .positional("logits", "tensor (or number/list)", "scores [n, classes]"),
                    .positional("targets", "list or tensor", "class ids [n] (or class probabilities [n, classes])"),
                    .positional("ignore_index", "whole number", default: -100, "targets with this id add no loss"),
                    .positional("reduction", "string", default: .string("mean"), "\"mean\", \"sum\" or \"none\""),
                ], "Cross-entropy of logits [n, classes] against class ids (or class probabilities of the same shape).",
                    help: "targets: n class ids (list or tensor); ids equal to ignore_index count for nothing and \"mean\" divides by the others.\nA targets tensor with the logits' shape is read as soft labels (rows of probabilities).\nLogits with more axes are flattened to [-1, classes].",
                    example: "cross_entropy(tensor([[2, 0], [0, 2]]), [0, 1]).item()") { a in
                let logits = try a.variable(0, "logits")
                guard let classes = logits.shape.last, classes > 0 else {
                    throw DprmError.runtime("cross_entropy(): logits need a non-empty last axis of classes, got \(Tensor.describe(logits.shape))")
                }
                let red = try reduction(a, 3)
                if let soft = a.positional[1].asTensorValue, soft.shape == logits.shape, logits.shape.count >= 1 {
                    return .variable(Loss.crossEntropy(logits: logits, probabilities: soft.variable.value, reduction: red))
                }
                let targets = try a.ints(1, "targets"), ignore = try a.int(2, "ignore_index")
                let rows = logits.value.count / classes
                guard targets.count == rows else {
                    throw DprmError.runtime("cross_entropy(): \(targets.count) targets for \(rows) rows of logits \(Tensor.describe(logits.shape))")
                }
                for (i, t) in targets.enumerated() where t != ignore && (t < 0 || t >= classes) {
                    throw DprmError.runtime("cross_entropy(): target \(t) at row \(i) out of range for \(classes) classes")
                }
                return .variable(Loss.crossEntropy(logits: logits, targets: targets, ignoreIndex: ignore, reduction: red))
            },
            elementwiseLoss("mse", ("input", "target"), "Mean squared error (target broadcasts to input).",
                            help: "reduction: \"mean\" (default), \"sum\" or \"none\" (per element).",
                            example: "mse(tensor([1, 2]), tensor([1, 4])).item()   # 2", Loss.mse),
            elementwiseLoss("bce_with_logits", ("logits", "target"), "Binary cross-entropy on logits (stable), targets in [0, 1].",
                            help: "As torch.nn.functional.binary_cross_entropy_with_logits; reduction: \"mean\", \"sum\" or \"none\".",
                            example: "bce_with_logits(tensor([0]), tensor([1])).item()   # 0.6931", Loss.bceWithLogits),

            // MARK: optimizers
            Builtin("sgd", parameters: [
                    .positional("params", "list of tensors or module", "the parameters: a list of param tensors or a module"),
                    .positional("lr", "number", "the learning rate (required)"),
                    .keyword("momentum", "number", default: 0, "the momentum factor (0: none)"),
                    .keyword("weight_decay", "number", default: 0, "L2 penalty added to the gradient"),
                    .keyword("nesterov", "bool", default: .bool(false), "Nesterov momentum"),
                ], "Stochastic gradient descent over parameters (a list of param tensors or a module).",
                    help: "Methods: opt.step(), opt.zero_grad(); field opt.lr (settable). Same update as torch.optim.SGD.",
                    example: "let w = param([1.0])\nlet opt = sgd([w], lr: 0.1)\n(w * w).sum().backward()\nopt.step()\nprint(w.item())   # 0.8") { a in
                let ps = try parameters(a, 0, "params")
                guard a.optional(1, "lr") != nil else { throw DprmError.type("sgd() missing argument 'lr'") }
                let lr = try nonNegative(a, 1, "lr", default: 0)
                let mu = try nonNegative(a, nil, "momentum", default: 0), wd = try nonNegative(a, nil, "weight_decay", default: 0)
                let nesterov = try a.bool(nil, "nesterov")
                if nesterov && mu == 0 { throw DprmError.runtime("sgd(): nesterov needs momentum > 0") }
                return .native(OptimizerValue(SGD(ps, lr: lr, momentum: Float(mu), weightDecay: Float(wd), nesterov: nesterov), kind: "sgd"))
            },
            adamFamily("adam", variant: .adam, defaultDecay: 0,
                       summary: "Adam over parameters (a list of param tensors or a module); weight decay as L2.",
                       help: "Methods: opt.step(), opt.zero_grad(); field opt.lr (settable). Same update as torch.optim.Adam.",
                       example: "let w = param([1.0, 2.0])\nlet opt = adam([w], lr: 0.01)"),
            adamFamily("adamw", variant: .adamW, defaultDecay: 0.01,
                       summary: "AdamW (decoupled weight decay) over parameters (a list of param tensors or a module).",
                       help: "Methods: opt.step(), opt.zero_grad(); field opt.lr (settable). Same update as torch.optim.AdamW.",
                       example: "let w = param(zeros([3]))\nlet opt = adamw([w], lr: 0.1)\nmse(w, ones(3)).backward()\nopt.step()\nopt.zero_grad()"),
            Builtin("scheduler", parameters: [
                    .positional("opt", "optimizer", "the optimizer whose learning rate it sets"),
                    .positional("kind", "string", "\"cosine\", \"linear\", \"constant\" or \"step\""),
                    .keyword("warmup", "whole number", default: 0, "steps of linear warm-up from 0"),
                    .keyword("total", "whole number", "steps of the whole schedule (cosine, linear)"),
                    .keyword("step_size", "whole number", "steps between decays (step)"),
                    .keyword("gamma", "number", default: .number(0.1), "the decay factor (step)"),
                ], "A learning-rate schedule driving opt: \"cosine\", \"linear\", \"constant\" or \"step\".",
                    help: "cosine: linear warmup over warmup steps, then a half cosine to 0 at total (HF get_cosine_schedule_with_warmup).\nlinear: warmup, then linear decay to 0 at total. constant: warmup, then the base rate.\nstep: lr * gamma^(steps / step_size) (torch StepLR).\nCall sched.step() after opt.step(); sched.lr is the rate in force. Creating one sets the rate for step 0.",
                    example: "let w = param([1.0])\nlet opt = sgd([w], lr: 0.1)\nlet s = scheduler(opt, \"cosine\", warmup: 2, total: 10)\ns.step()\nprint(s.lr)   # 0.05") { a in
                let opt = try a.native(0, "opt", as: OptimizerValue.self, expected: "an optimizer")
                let kind = try a.string(1, "kind")
                let warmup = try a.int(nil, "warmup")
                guard warmup >= 0 else { throw DprmError.runtime("scheduler(): warmup must be >= 0, got \(warmup)") }
                func total() throws -> Int {
                    guard a.optional(nil, "total") != nil else { throw DprmError.runtime("scheduler(): \(quote(kind)) needs total: (the number of steps)") }
                    let t = try a.int(nil, "total")
                    guard t > 0 else { throw DprmError.runtime("scheduler(): total must be positive, got \(t)") }
                    return t
                }
                let schedule: Schedule
                switch kind {
                case "cosine": schedule = .cosineWithWarmup(warmup: warmup, total: try total())
                case "linear": schedule = .linearWithWarmup(warmup: warmup, total: try total())
                case "constant": schedule = .constantWithWarmup(warmup: warmup)
                case "step":
                    guard a.optional(nil, "step_size") != nil else { throw DprmError.runtime("scheduler(): \"step\" needs step_size:") }
                    let size = try a.int(nil, "step_size")
                    guard size > 0 else { throw DprmError.runtime("scheduler(): step_size must be positive, got \(size)") }
                    schedule = .step(stepSize: size, gamma: try nonNegative(a, nil, "gamma", default: 0.1))
                default:
                    throw DprmError.runtime("scheduler(): unknown kind \(quote(kind)); use \"cosine\", \"linear\", \"constant\" or \"step\"")
                }
                return .native(SchedulerValue(LRScheduler(opt.optimizer, schedule: schedule), kind: kind))
            },
            Builtin("clip_grad_norm", parameters: [
                    .positional("params", "list of tensors or module", "the parameters: a list of param tensors or a module"),
                    .positional("max_norm", "number", "the largest global L2 norm kept"),
                ], "Scales the gradients so their global L2 norm is at most max_norm; returns the norm before clipping.",
                    help: "params: a list of parameters or a module. As torch.nn.utils.clip_grad_norm_.",
                    example: "let w = param([3.0, 4.0])\n(w * w).sum().backward()\nclip_grad_norm([w], 1)   # 10") { a in
                let ps = try parameters(a, 0, "params")
                let m = try nonNegative(a, 1, "max_norm", default: try a.number(1, "max_norm"))
                return .number(Double(clipGradNorm(ps.map(\.1), maxNorm: Float(m))))
            },

            // MARK: modules
            Builtin("linear", parameters: [
                    .positional("in", "whole number", "input features"),
                    .positional("out", "whole number", "output features"),
                    .positional("bias", "bool", default: .bool(true), "whether the layer adds a bias"),
                    seedParameter,
                ], "A linear layer y = x W^T + b (W: [out, in]), torch's default initialisation.",
                    help: "Use m.forward(x), m.parameters(), m.weight, m.bias. Without seed: the shared tensor generator (manual_seed).",
                    example: "let m = linear(3, 2, seed: 0)\nm.forward(ones([4, 3])).shape   # [4, 2]") { a in
                let i = try a.int(0, "in"), o = try a.int(1, "out")
                guard i > 0, o > 0 else { throw DprmError.runtime("linear(): sizes must be positive, got \(i) and \(o)") }
                _ = try TensorValue.checkedCount(i, o, shape: [o, i], what: "linear()")
                let bias = try a.bool(2, "bias")
                let layer = try withRNG(a, state) { Linear(i, o, bias: bias, rng: &$0) }
                return .native(ModuleValue(layer, kind: "linear", inFeatures: i) { layer($0) })
            },
            Builtin("mlp", parameters: [
                    .positional("sizes", "list of whole numbers", "the layer widths, input first"),
                    .positional("activation", "string", default: .string("relu"), "\"relu\", \"gelu\", \"tanh\" or \"sigmoid\""),
                    seedParameter,
                ], "Linear layers of the given sizes with an activation between them (not after the last).",
                    help: "sizes [2, 16, 1] gives Linear(2, 16), activation, Linear(16, 1). Activations: relu, gelu, gelu_tanh, tanh, sigmoid, leaky_relu, identity.",
                    example: "let m = mlp([2, 8, 1], seed: 0)\nm.forward(zeros([5, 2])).shape   # [5, 1]") { a in
                let sizes = try a.ints(0, "sizes")
                guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
                    throw DprmError.runtime("mlp(): sizes need at least two positive numbers, got \(sizes)")
                }
                for k in 0..<(sizes.count - 1) { _ = try TensorValue.checkedCount(sizes[k], sizes[k + 1], shape: [sizes[k + 1], sizes[k]], what: "mlp()") }
                let name = try a.string(1, "activation")
                guard let act = Activation(name: name) else { throw DprmError.runtime("mlp(): unknown activation \(quote(name))") }
                let model = try withRNG(a, state) { MLP(sizes: sizes, activation: act, rng: &$0) }
                return .native(ModuleValue(model, kind: "mlp", inFeatures: sizes[0]) { model($0) })
            },

            // MARK: files
            Builtin("save_tensors", parameters: [
                    .positional("tensors", "dict of tensors or module", "a dict of tensors or a module"),
                    .positional("path", "string", "the safetensors file written"),
                ], "Writes a dict of tensors (or a module's parameters) to a safetensors file, atomically.",
                    help: "Stored as F32 under the dict keys; torch and safetensors read the file.",
                    example: "save_tensors({w: ones([2, 2])}, \"/tmp/dprm-example.safetensors\")") { a in
                var dict: [String: Tensor] = [:]
                if case .native(let n) = a.positional[0], let m = n as? ModuleValue {
                    dict = m.module.stateDict()
                } else {
                    for (k, v) in try a.dict(0, "tensors").pairs {
                        dict[k] = try TensorValue.tensor(from: v, what: "save_tensors() entry '\(k)'")
                    }
                }
                let path = try a.string(1, "path")
                do { try Safetensors.write(dict, to: path) } catch { throw DprmError.runtime("save_tensors(): \(error)") }
                return .nil
            },
            Builtin("load_tensors", parameters: [
                    .positional("path", "string", "the safetensors file"),
                ], "Reads a safetensors file into a dict of tensors (sorted by name; F16/BF16 become float32).",
                    help: "F32, F16 and BF16 entries are read; a missing or malformed file is an error naming the path.",
                    example: "save_tensors({b: arange(3)}, \"/tmp/dprm-example2.safetensors\")\nload_tensors(\"/tmp/dprm-example2.safetensors\").b.tolist()   # [0, 1, 2]") { a in
                let path = try a.string(0, "path")
                do {
                    let all = try SafetensorsFile(path: path).allTensors()
                    return .dict(DictRef(all.keys.sorted().map { ($0, .tensor(all[$0]!)) }))
                } catch {
                    throw DprmError.runtime("load_tensors(): \(error)")
                }
            },
        ]
    }
}
