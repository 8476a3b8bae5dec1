import Foundation
import Lang
import Tensors
import Autodiff
import NN
import PRM
import Reweight

/// A bi-level problem written in .dprm: lower and upper losses are .dprm functions of a batch
/// (a list of data items) returning a scalar tensor; the native engine wires them exactly as
/// the built-in `reweight` does (docs/bilevel.md).
public final class EngineValue: TabledObject {
    let engine: BilevelEngine<Value, Value>
    /// (iteration, lower loss, meta loss or nil) per micro-step.
    var records: [(iteration: Int, lower: Float, meta: Float?)] = []
    var trace: [String] = []
    /// The first error a .dprm loss raised; the engine's closures cannot throw, so it is kept
    /// here, the engine is stopped at the next safe point, and the error is rethrown.
    var failure: Error?

    init(_ engine: BilevelEngine<Value, Value>) {
        self.engine = engine
        engine.hooks.afterLowerStep = { [unowned self] i, loss in records.append((i, loss, nil)) }
        engine.hooks.afterUpperStep = { [unowned self] _, meta in records[records.count - 1].meta = meta }
        engine.hooks.trace = { [unowned self] in trace.append($0) }
        engine.hooks.afterRollback = { [unowned self] event in
            records.removeAll { $0.iteration > event.restoredTo }
            onRollback?(event)
        }
    }

    /// Called after each rollback (`on_nonfinite: "rollback"`): the builtin prints a warning.
    var onRollback: ((NonFiniteRollback) -> Void)?

    public var typeName: String { "bilevel_engine" }
    public var summary: String { "bilevel_engine: \(engine.iteration)/\(engine.config.iterations) iterations" }

    /// Runs `body`, then rethrows a loss error or an interrupt.
    func guarded(_ args: Arguments, _ body: () throws -> Void) throws -> Value {
        let interrupted = PRMBuiltins.interrupted(args)
        engine.hooks.shouldStop = { [unowned self] in failure != nil || interrupted() }
        do { try body() } catch BilevelError.interrupted {} catch { throw DprmError.runtime("bilevel: \(error)") }
        if let failure { self.failure = nil; throw failure }
        try args.interpreter.checkInterrupt()
        return .native(self)
    }

    public static let members = MemberTable<EngineValue>([
        .field("iteration", "micro-steps done") { .int($0.engine.iteration) },
        .field("history", "columns iteration, lower_loss, meta_loss (nil without an upper step)") { e in
            Convert.dict([("iteration", Convert.ints(e.records.map(\.iteration))), ("lower_loss", Convert.numbers(e.records.map(\.lower))),
                          ("meta_loss", .list(e.records.map { $0.meta.map { .number(Double($0)) } ?? .nil }))])
        },
        .field("trace", "the engine's operations in the order they ran") { Convert.strings($0.trace) },
        .field("rollbacks", "with on_nonfinite: \"rollback\": {step, restored_to, reason, rate_scale, upper_rate_scale} per rollback") { rollbacksValue($0.engine.rollbacks) },
        .method("step", parameters: [], "runs one iteration (a lower micro-step, and the upper step when due)") { e, args in
            try e.guarded(args) { try e.engine.runIteration() }
        },
        .method("run", parameters: [], "runs the remaining iterations (Ctrl-C stops at the next one)") { e, args in
            try e.guarded(args) { try e.engine.run() }
        },
    ])
}

/// Builtins of the `reweight` module (which exposes the Reweight target): the bi-level engine over
/// .dprm losses; listed in `ReweightBuiltins.registry`.
enum BilevelBuiltins {
    /// One level from a dict {params, optimizer, loss, scheduler?}.
    static func level(_ spec: DictRef, _ what: String) throws -> (Level, Value) {
        guard let paramsValue = spec["params"], let optimizerValue = spec["optimizer"], let loss = spec["loss"] else {
            throw DprmError.type("bilevel() \(what) needs keys params, optimizer and loss (scheduler is optional)")
        }
        guard case .list(let list) = paramsValue else { throw DprmError.type("bilevel() \(what).params must be a list of tensors") }
        let params = try list.items.map { try TensorValue.variable(from: $0, what: "\(what).params") }
        guard case .native(let o as OptimizerValue) = optimizerValue else {
            throw DprmError.type("bilevel() \(what).optimizer must be an optimizer (sgd, adam, adamw), got \(optimizerValue.typeName)")
        }
        var scheduler: LevelScheduler?
        if case .native(let s as SchedulerValue)? = spec["scheduler"] { scheduler = SchedulerLevel(s.scheduler) }
        guard case .function = loss else { throw DprmError.type("bilevel() \(what).loss must be a function of a batch") }
        return (Level(parameters: params, optimizer: OptimizerLevel(o.optimizer), scheduler: scheduler), loss)
    }

    static let builtins: [Builtin] = [
        Builtin("bilevel", parameters: [
                .keyword("lower", "dict", required: true, "the lower level: {params, optimizer, loss} (scheduler optional)"),
                .keyword("upper", "dict", required: true, "the upper level: {params, optimizer, loss} (scheduler optional)"),
                .keyword("lower_data", "list or iterable", required: true, "the items the lower loss's batches are drawn from"),
                .keyword("upper_data", "list or iterable", required: true, "the items the upper loss's batches are drawn from"),
                .keyword("batch_size", "whole number", default: 1, "items per lower batch"),
                .keyword("meta_batch_size", "whole number", default: 1, "items per upper batch"),
                .keyword("seed", "whole number", default: 0, "seeds the batch order"),
                .keyword("iterations", "whole number", default: 1, aliases: ["iteration_num"], "lower steps to run"),
                .keyword("unroll_steps", "whole number", default: 1, "lower steps between upper steps"),
                .keyword("gradient_accumulation", "whole number", default: 1, aliases: ["gradiant_accumulation"], "batches per lower step"),
                .keyword("gradient_clipping", "number", default: 0, aliases: ["gradiant_clipping"], "largest gradient norm of each level (0: none)"),
                .keyword("rollback", "bool", default: .bool(false), "the reference's rollback: restore the lower level before each upper step, then retake one step"),
                .keyword("save_every_iterations", "whole number", default: 0, "run the validation / checkpoint hook every this many iterations (0: never)"),
                .keyword("hypergradient", "string", default: .string("darts"), "how the upper gradient is computed (see docs/bilevel.md)"),
            ] + PRMBuiltins.nonFiniteParameters,
                "A bi-level problem with .dprm losses, run by the same engine as reweight().",
                help: """
                `loss` functions take a batch (a list of items of lower_data / upper_data) and return a scalar tensor. \
                The lower loss may depend on both levels' params; its backward reaches only the lower params. \
                The upper loss is evaluated at the lower params as they are after the lower step. Order of \
                operations and hypergradients as in docs/bilevel.md. Returns an engine with run(), step(), history and trace. \
                A NaN or infinite loss, gradient norm or upper parameter stops run() / step() with an error naming the \
                iteration; on_nonfinite: "rollback" instead goes back to the last good state of both levels, multiplies \
                both learning rates by rollback_factor and goes on (at most max_rollbacks times, with a warning each).
                """,
                example: """
                let w = param(tensor([0.5]))
                let lam = param(tensor([1.0]))
                let eng = bilevel(
                  lower: {params: [w], optimizer: sgd([w], lr: 0.1), loss: fn (b) { ((w - lam) ** 2).sum() }},
                  upper: {params: [lam], optimizer: sgd([lam], lr: 0.1), loss: fn (b) { ((w - 2) ** 2).sum() }},
                  lower_data: [1, 2], upper_data: [1], iteration_num: 3)
                eng.run()
                print(eng.history.meta_loss)
                """) { args in
            let (lower, lowerLoss) = try level(try args.dict(nil, "lower"), "lower")
            let (upper, upperLoss) = try level(try args.dict(nil, "upper"), "upper")
            let lowerData = try args.sequence(nil, "lower_data"), upperData = try args.sequence(nil, "upper_data")
            guard !lowerData.isEmpty, !upperData.isEmpty else { throw DprmError.type("bilevel() lower_data and upper_data must not be empty") }
            var config = BilevelConfig()
            config.iterations = try args.int(nil, "iterations")
            config.unrollSteps = try args.int(nil, "unroll_steps")
            config.gradientAccumulation = try args.int(nil, "gradient_accumulation")
            let clip = Float(try args.number(nil, "gradient_clipping"))
            config.lowerClipping = clip
            config.upperClipping = clip
            config.rollback = try args.bool(nil, "rollback")
            config.saveEvery = try args.int(nil, "save_every_iterations")
            config.onNonFinite = try PRMBuiltins.nonFinitePolicy(args)
            config.method = try Convert.library("bilevel") { try HypergradientMethod(name: try args.string(nil, "hypergradient")) }
            let seed = UInt64(try args.int(nil, "seed"))
            let interpreter = args.interpreter
            weak var box: EngineValue?
            func call(_ f: Value, _ batch: [Value]) -> Variable {
                guard let owner = box, owner.failure == nil else { return Variable(Tensor(0)) }
                do {
                    return try TensorValue.variable(from: try interpreter.call(f, [.list(batch)]), what: "the loss")
                } catch {
                    owner.failure = error
                    return Variable(Tensor(0))
                }
            }
            let engine = try Convert.library("bilevel") {
                try BilevelEngine(config: config, lower: lower, upper: upper,
                                  lowerData: BatchLoader(lowerData, batchSize: try args.int(nil, "batch_size"), seed: seed),
                                  upperData: BatchLoader(upperData, batchSize: try args.int(nil, "meta_batch_size"), seed: seed &+ 1),
                                  lowerLoss: { call(lowerLoss, $0) }, upperLoss: { call(upperLoss, $0) })
            }
            let value = EngineValue(engine)
            value.onRollback = PRMBuiltins.rollbackWarning(args, unit: "iteration")
            box = value
            return .native(value)
        },
    ]
}
