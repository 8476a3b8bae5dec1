import Foundation
import Tensors
import Autodiff
import NN

/// The classic sanity check of instance reweighting on real data: UCI handwritten digits, an MLP
/// classifier, uniform label noise on the training split, a small clean meta set, a clean test
/// split. Trains four classifiers on the same split and seed: clean labels, noisy labels,
/// noisy labels + Instance Table, noisy labels + Meta-Weight-Net (loss -> weight MLP).
public enum NoisyDigits {
    /// The UCI digits as shipped by scikit-learn: 64 pixel columns (0-16) then the label.
    public struct Dataset {
        public var features: [[Float]]
        public var labels: [Int]
    }

    /// Reads `digits.csv.gz` (or an uncompressed `.csv`). Errors name the file and the line.
    public static func load(path: String) throws -> Dataset {
        guard FileManager.default.fileExists(atPath: path) else {
            throw BilevelError.invalidConfiguration("\(path): no such file (set DPRM_SHARED to the folder holding data/digits)")
        }
        let text: String
        if path.hasSuffix(".gz") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "gzip -dc \"$0\"", path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BilevelError.invalidConfiguration("\(path): gzip could not decompress it") }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = try String(contentsOfFile: path, encoding: .utf8)
        }
        var features: [[Float]] = [], labels: [Int] = []
        for (n, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: ",")
            guard fields.count == 65, let label = Int(fields[64]), (0..<10).contains(label) else {
                throw BilevelError.invalidConfiguration("\(path): line \(n + 1): expected 64 pixels and a label 0-9, got \(fields.count) fields")
            }
            var row: [Float] = []
            for f in fields.prefix(64) {
                guard let x = Float(f) else { throw BilevelError.invalidConfiguration("\(path): line \(n + 1): '\(f)' is not a number") }
                row.append(x / 16)
            }
            features.append(row)
            labels.append(label)
        }
        return Dataset(features: features, labels: labels)
    }

    /// Settings; defaults are the ones the reported numbers use.
    public struct Options {
        public var seed: UInt64 = 0
        /// Fraction of training labels replaced by a uniformly drawn DIFFERENT class.
        public var noiseRate = 0.4
        public var metaPerClass = 10
        public var testFraction = 0.3
        public var hidden = 128
        public var iterations = 3000
        public var batchSize = 32
        public var lr = 1e-3
        public var metaLr = 0.05
        public var netMetaLr = 1e-3
        public var netHidden = 100
        public init() {}
    }

    /// Accuracies and weight statistics of the four runs.
    public struct Result {
        public var clean: Double
        public var noisy: Double
        public var table: Double
        public var net: Double
        /// Mean weight of flipped / clean training instances at the end, per method.
        public var tableFlippedWeight: Double, tableCleanWeight: Double
        public var netFlippedWeight: Double, netCleanWeight: Double
        public var trainCount: Int, metaCount: Int, testCount: Int, flippedCount: Int
        /// Fraction of the clean-versus-noisy gap a method recovers.
        public func recovered(_ accuracy: Double) -> Double { (accuracy - noisy) / max(clean - noisy, 1e-9) }
    }

    struct Split {
        var trainX: Tensor, trainClean: [Int], trainNoisy: [Int], flipped: [Bool]
        var metaX: Tensor, metaY: [Int]
        var testX: Tensor, testY: [Int]
    }

    static func split(_ data: Dataset, _ o: Options) -> Split {
        var rng = RandomGenerator(seed: o.seed)
        var order = Array(data.labels.indices)
        rng.shuffle(&order)
        let testCount = Int(Double(order.count) * o.testFraction)
        let test = Array(order.prefix(testCount))
        var rest = Array(order.dropFirst(testCount))
        var meta: [Int] = []
        for c in 0..<10 {
            let picked = rest.filter { data.labels[$0] == c }.prefix(o.metaPerClass)
            meta += picked
        }
        let metaSet = Set(meta)
        rest.removeAll { metaSet.contains($0) }
        var noisy: [Int] = [], flipped: [Bool] = []
        for i in rest {
            if rng.uniform() < o.noiseRate {
                let other = (data.labels[i] + 1 + rng.int(below: 9)) % 10
                noisy.append(other); flipped.append(true)
            } else {
                noisy.append(data.labels[i]); flipped.append(false)
            }
        }
        func matrix(_ idx: [Int]) -> Tensor { Tensor(shape: [idx.count, 64], scalars: idx.flatMap { data.features[$0] }) }
        return Split(trainX: matrix(rest), trainClean: rest.map { data.labels[$0] }, trainNoisy: noisy, flipped: flipped,
                     metaX: matrix(meta), metaY: meta.map { data.labels[$0] }, testX: matrix(test), testY: test.map { data.labels[$0] })
    }

    enum Weighting { case none, table(InstanceTable), net(LossWeightNet) }

    /// Trains one classifier; returns test accuracy and the final weights of all training instances.
    static func train(_ s: Split, labels: [Int], weighting: Weighting, _ o: Options) throws -> (accuracy: Double, weights: [Float]) {
        var rng = RandomGenerator(seed: o.seed &+ 101)
        let model = MLP(sizes: [64, o.hidden, 10], activation: .relu, rng: &rng)
        let lower = AdamW(model.namedParameters(), lr: o.lr, weightDecay: 0)
        func perInstance(_ rows: [Int]) -> Variable {
            let x = Variable(s.trainX.indexSelect(axis: 0, indices: rows))
            return Loss.crossEntropy(logits: model(x), targets: rows.map { labels[$0] }, reduction: .none)
        }
        let lowerLoss: ([Int]) -> Variable = { rows in
            let ce = perInstance(rows)
            switch weighting {
            case .none: return ce.mean()
            case .table(let t): return (t.weights(rows: rows) * ce).mean()
            case .net(let n): return (n(ce) * ce).mean()
            }
        }
        let upperLoss: ([Int]) -> Variable = { rows in
            Loss.crossEntropy(logits: model(Variable(s.metaX.indexSelect(axis: 0, indices: rows))), targets: rows.map { s.metaY[$0] })
        }
        let upperParams: [(String, Variable)]
        var metaLr = o.metaLr
        switch weighting {
        case .none: upperParams = []
        case .table(let t): upperParams = t.namedParameters
        case .net(let n): upperParams = n.namedParameters; metaLr = o.netMetaLr
        }
        let upper = AdamW(upperParams, lr: metaLr, weightDecay: 0)
        var config = BilevelConfig()
        config.iterations = o.iterations
        config.saveEvery = 0
        config.lowerOnly = upperParams.isEmpty
        let engine = try BilevelEngine(
            config: config,
            lower: Level(parameters: model.parameters(), optimizer: OptimizerLevel(lower)),
            upper: Level(parameters: upperParams.map(\.1), optimizer: OptimizerLevel(upper)),
            lowerData: BatchLoader(Array(labels.indices), batchSize: o.batchSize, seed: o.seed &+ 7),
            upperData: BatchLoader(Array(s.metaY.indices), batchSize: s.metaY.count, seed: o.seed &+ 8),
            lowerLoss: lowerLoss, upperLoss: upperLoss)
        try engine.run()
        let predictions = noGrad { model(Variable(s.testX)) }.value.argmax(axis: 1).toArray()
        let correct = zip(predictions, s.testY).filter { Int($0) == $1 }.count
        let weights: [Float] = noGrad {
            switch weighting {
            case .none: return Array(repeating: 1, count: labels.count)
            case .table(let t): return t.currentWeights()
            case .net(let n): return n(perInstance(Array(labels.indices))).value.toArray()
            }
        }
        return (Double(correct) / Double(s.testY.count), weights)
    }

    /// Runs the four trainings and reports accuracies and weights.
    public static func run(data: Dataset, options o: Options = Options()) throws -> Result {
        let s = split(data, o)
        let ids = s.trainNoisy.indices.map { "train-\($0)" }
        let clean = try train(s, labels: s.trainClean, weighting: .none, o)
        let noisy = try train(s, labels: s.trainNoisy, weighting: .none, o)
        let table = try train(s, labels: s.trainNoisy, weighting: .table(try InstanceTable(ids: ids, activation: .clip, initialization: 1)), o)
        let net = try train(s, labels: s.trainNoisy, weighting: .net(LossWeightNet(hiddenDim: o.netHidden, seed: o.seed &+ 3)), o)
        func means(_ w: [Float]) -> (Double, Double) {
            var f = (0.0, 0), c = (0.0, 0)
            for (x, flip) in zip(w, s.flipped) {
                if flip { f = (f.0 + Double(x), f.1 + 1) } else { c = (c.0 + Double(x), c.1 + 1) }
            }
            return (f.0 / Double(max(f.1, 1)), c.0 / Double(max(c.1, 1)))
        }
        let (tf, tc) = means(table.weights), (nf, nc) = means(net.weights)
        return Result(clean: clean.accuracy, noisy: noisy.accuracy, table: table.accuracy, net: net.accuracy,
                      tableFlippedWeight: tf, tableCleanWeight: tc, netFlippedWeight: nf, netCleanWeight: nc,
                      trainCount: s.trainNoisy.count, metaCount: s.metaY.count, testCount: s.testY.count,
                      flippedCount: s.flipped.filter { $0 }.count)
    }
}
