import Foundation
import Lang
import Datasets
import PRM
import Reweight
import NN
import Support
import Distributed

/// An upper-level weighting model (Instance Table, Instance Net, Domain Table) in the language.
public final class WeightingValue: TabledObject {
    public let weighting: InstanceWeighting
    public init(_ weighting: InstanceWeighting) { self.weighting = weighting }
    public var typeName: String { weighting.kind }
    public var summary: String {
        "\(weighting.kind): \(weighting.parameters.reduce(0) { $0 + $1.value.count }) parameters"
    }

    public static let members = MemberTable<WeightingValue>([
        .field("kind", "instance_table, instance_net or domain_table") { .string($0.weighting.kind) },
        .field("parameter_count", "number of upper-level parameters") { v in .int(v.weighting.parameters.reduce(0) { $0 + $1.value.count }) },
        .method("weights", parameters: [], "current weights: per instance (table), per domain (domain table); use run.weights() for a net") { v, _ in
            if let t = v.weighting as? InstanceTable { return Convert.numbers(t.currentWeights()) }
            if let d = v.weighting as? DomainTable {
                let w = d.currentWeights()
                return Convert.dict(d.domains.map { ($0, .number(Double(w[$0]!))) })
            }
            throw DprmError.type("an instance_net has no stored weights; evaluate it with run.weights()")
        },
    ])
}

/// A bi-level reweighting run in the language: history, weight snapshots, inspection, checkpoints.
public final class RunValue: TabledObject {
    public let run: ReweightRun
    public init(_ run: ReweightRun) { self.run = run }
    public var typeName: String { "reweight_run" }
    public var summary: String {
        let h = run.history
        let meta = h.compactMap(\.metaLoss)
        return "reweight_run(\(run.weighting.kind)): \(h.count)/\(run.options.iterations) iterations"
            + (meta.isEmpty ? "" : ", meta loss \(meta.first!) -> \(meta.last!)")
    }

    /// History as columns; meta_loss is nil at iterations without an upper step.
    var historyColumns: Value {
        let h = run.history
        func column<T: BinaryFloatingPoint>(_ k: KeyPath<ReweightRecord, T>) -> Value { Convert.numbers(h.map { $0[keyPath: k] }) }
        return Convert.dict([
            ("iteration", Convert.ints(h.map(\.iteration))), ("lower_loss", column(\.lowerLoss)),
            ("weighted_loss", column(\.weightedLoss)),
            ("meta_loss", .list(h.map { $0.metaLoss.map { .number(Double($0)) } ?? .nil })),
            ("lr", column(\.lr)), ("meta_lr", column(\.metaLr)), ("weight_mean", column(\.weightMean)),
            ("weight_std", column(\.weightStd)), ("weight_min", column(\.weightMin)), ("weight_max", column(\.weightMax)),
            ("seconds", column(\.seconds)),
        ])
    }

    static func instanceDict(_ inst: PRMInstance, _ weight: Float) -> Value {
        Convert.dict([("id", .string(inst.id)), ("weight", .number(Double(weight))), ("domain", inst.domain.map { .string($0) } ?? .nil),
                      ("question", .string(inst.question)), ("steps", Convert.strings(inst.steps)), ("labels", Convert.numbers(inst.labels))])
    }

    public static let members = MemberTable<RunValue>([
        .field("history", "columns iteration, lower_loss, weighted_loss, meta_loss, lr, meta_lr, weight_mean/std/min/max, seconds") { $0.historyColumns },
        .field("snapshots", "weights over time: {iterations, ids, domains, weights: [[w per id] per snapshot]}") { v in
            let r = v.run
            let domainOf = Dictionary(r.train.map { ($0.id, $0.domain ?? "") }, uniquingKeysWith: { a, _ in a })
            return Convert.dict([("iterations", Convert.ints(r.snapshots.map(\.iteration))), ("ids", Convert.strings(r.snapshotIDs)),
                                 ("domains", Convert.strings(r.snapshotIDs.map { domainOf[$0] ?? "" })),
                                 ("weights", .list(r.snapshots.map { Convert.numbers($0.weights) }))])
        },
        .field("iterations_done", "lower micro-steps completed") { .int($0.run.engine.iteration) },
        .field("rollbacks", "with on_nonfinite: \"rollback\": {step, restored_to, reason, rate_scale, upper_rate_scale} per rollback") { rollbacksValue($0.run.rollbacks) },
        .method("weights", parameters: [], "every training instance's current weight, in training order") { v, _ in Convert.numbers(v.run.allWeights()) },
        .method("by_domain", parameters: [], "mean weight per training domain") { v, _ in
            Convert.dict(v.run.meanWeightByDomain().map { ($0.domain, .number(Double($0.meanWeight))) })
        },
        .method("extremes", parameters: [.positional("k", "whole number", default: 5, "how many of each end")], "the k heaviest and lightest instances with text and labels") { v, args in
            let (heavy, light) = v.run.extremes(try args.int(0, "k", default: 5))
            return Convert.dict([("heaviest", .list(heavy.map { instanceDict($0.0, $0.1) })),
                                 ("lightest", .list(light.map { instanceDict($0.0, $0.1) }))])
        },
        .method("save", parameters: [.positional("path", "string", "the checkpoint directory written")], "writes a checkpoint directory (PRM, weights, optimizer states, history)") { v, args in
            let dir = try args.string(0, "path")
            try Convert.library("save") { try v.run.saveCheckpoint(to: dir) }
            return .string(dir)
        },
        .method("resume", parameters: [.positional("path", "string", "the checkpoint directory")], "loads a checkpoint into this run (same options and data); then call run.continue()") { v, args in
            let dir = try args.string(0, "path")
            try Convert.library("resume") { try v.run.loadCheckpoint(from: dir) }
            return .nil
        },
        .method("continue", parameters: [.positional("progress", "bool", default: .bool(true), "print a progress bar")], "runs the remaining iterations") { v, args in
            try ReweightBuiltins.execute(v.run, args)
            return .native(v)
        },
        .method("write_history", parameters: [.positional("path", "string", "the CSV file written")], "writes the history as CSV (atomic)") { v, args in
            try writeText(v.run.historyCSV(), try args.string(0, "path"))
        },
        .method("write_weights", parameters: [.positional("path", "string", "the CSV file written")], "writes the weight snapshots as CSV, one column per instance (atomic)") { v, args in
            try writeText(v.run.snapshotsCSV(), try args.string(0, "path"))
        },
    ])

    /// Writes `text` atomically; under mpirun only rank 0 writes (every rank holds the same run).
    static func writeText(_ text: String, _ path: String) throws -> Value {
        guard World.shared.isRoot else { return .string(path) }
        try Convert.library("write") { try AtomicFile.write(Data(text.utf8), to: path) }
        return .string(path)
    }
}
