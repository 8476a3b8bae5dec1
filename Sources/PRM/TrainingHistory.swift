import Foundation
import NN
import Support

/// One optimizer micro-step of a training run.
public struct TrainingRecord: Equatable, Sendable {
    /// 1-based micro-step.
    public var step: Int
    /// The unscaled loss of the step's batch (before division by gradient accumulation).
    public var loss: Float
    /// Learning rate used by the step.
    public var lr: Double
    /// Seconds since the run started, at the end of the step.
    public var seconds: Double

    public init(step: Int, loss: Float, lr: Double, seconds: Double) {
        self.step = step
        self.loss = loss
        self.lr = lr
        self.seconds = seconds
    }
}

/// The per-step history of a run, saved as CSV (`step,loss,lr,seconds`).
public struct TrainingHistory: Equatable, Sendable {
    public var records: [TrainingRecord] = []

    public init(records: [TrainingRecord] = []) { self.records = records }

    public var steps: [Int] { records.map(\.step) }
    public var losses: [Float] { records.map(\.loss) }
    public var learningRates: [Double] { records.map(\.lr) }

    /// Mean loss of the first / last `count` records (smoothed comparisons).
    public func meanLoss(first count: Int) -> Float { Self.mean(records.prefix(count).map(\.loss)) }
    public func meanLoss(last count: Int) -> Float { Self.mean(records.suffix(count).map(\.loss)) }

    static func mean(_ xs: [Float]) -> Float { xs.isEmpty ? .nan : xs.reduce(0, +) / Float(xs.count) }

    /// The CSV columns.
    static let header = ["step", "loss", "lr", "seconds"]

    /// The CSV text: a header and one line per record (full float precision).
    public var csv: String {
        CSV.text([Self.header] + records.map { ["\($0.step)", "\($0.loss)", "\($0.lr)", String(format: "%.6f", $0.seconds)] })
    }

    /// Writes `csv` to `path` atomically.
    public func writeCSV(to path: String) throws {
        try AtomicFile.write(Data(csv.utf8), to: path)
    }

    /// Reads a CSV written by `writeCSV`.
    public static func readCSV(from path: String) throws -> TrainingHistory {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PRMError.invalidOption("\(path): cannot read the training history")
        }
        var lines = CSV.parse(text).filter { $0 != [""] }
        guard lines.first == Self.header else {
            throw PRMError.invalidOption("\(path): not a training history (expected the header step,loss,lr,seconds)")
        }
        lines.removeFirst()
        var history = TrainingHistory()
        for (i, f) in lines.enumerated() {
            guard f.count == 4, let s = Int(f[0]), let l = Float(f[1]), let lr = Double(f[2]), let t = Double(f[3]) else {
                throw PRMError.invalidOption("\(path): line \(i + 2) is not step,loss,lr,seconds: \(CSV.line(f))")
            }
            history.records.append(TrainingRecord(step: s, loss: l, lr: lr, seconds: t))
        }
        return history
    }
}
