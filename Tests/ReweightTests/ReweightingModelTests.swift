import XCTest
import Tensors
import Autodiff
import Datasets
import PRM
@testable import Reweight

/// The weighting models and the meta loss, checked against hand computations.
final class ReweightingModelTests: XCTestCase {
    func instances(_ n: Int, domains: [String]? = nil) -> [PRMInstance] {
        (0..<n).map { i in
            PRMInstance(id: "id\(i)", domain: domains?[i % domains!.count], question: "q\(i)", steps: ["a", "b"], labels: [1, 0])
        }
    }

    func testInstanceTableClipForwardAndZeroGradientOutsideRange() throws {
        let data = instances(4)
        let table = try InstanceTable(instances: data, activation: .clip, initialization: 1.0)
        table.raw.value = Tensor([-2, 0.5, 2.5, 4])
        let w = table.weights(for: [data[3], data[1], data[2], data[0]], labelLogits: [], plusID: 0, minusID: 1)
        XCTAssertEqual(w.value.toArray(), [3, 0.5, 2.5, -1])
        let g = gradients(of: (w * Variable(Tensor([1, 2, 3, 4]))).sum(), wrt: [table.raw])[0]
        XCTAssertEqual(g.toArray(), [0, 2, 3, 0], "Clip passes no gradient outside (-1, 3)")
    }

    func testInstanceTableRejectsDuplicateIdsAndUnknownActivation() {
        var data = instances(3)
        data[2].id = "id0"
        XCTAssertThrowsError(try InstanceTable(instances: data)) { XCTAssertTrue("\($0)".contains("'id0' appears twice")) }
        XCTAssertThrowsError(try WeightActivation(name: "tanh")) { XCTAssertTrue("\($0)".contains("Clip, ReLU, LeakyReLU, No, sigmoid")) }
        XCTAssertEqual(try WeightActivation(name: "leakyrelu"), .leakyRelu)
    }

    func testDomainTableSoftplusOverMean() throws {
        let data = instances(4, domains: ["b", "a"])
        let table = try DomainTable(instances: data)
        table.raw.value = Tensor([0, 2])  // domains sorted: a, b
        let sp = [Float(log(2.0)), Float(log(1 + exp(2.0)))]
        let mean = (sp[0] + sp[1]) / 2
        let w = table.weights(for: data, labelLogits: [], plusID: 0, minusID: 1).value.toArray()
        XCTAssertEqual(w[0], sp[1] / mean, accuracy: 1e-5)  // data[0] is domain b
        XCTAssertEqual(w[1], sp[0] / mean, accuracy: 1e-5)
        XCTAssertEqual(table.currentWeights()["a"]!, sp[0] / mean, accuracy: 1e-5)
        var bad = data
        bad[1].domain = nil
        XCTAssertThrowsError(try DomainTable(instances: bad)) { XCTAssertTrue("\($0)".contains("'id1' (record 1) has no domain")) }
    }

    func testInstanceNetReadsPlusMinusPairAndOptionallyDetaches() {
        let logits = Variable(Tensor(shape: [3, 4], scalars: [0.1, 2, -1, 0.3, 1, 0, 0.5, -0.2, -1, 1, 0, 2]), requiresGrad: true)
        for detach in [false, true] {
            let net = InstanceNet(hiddenDim: 5, activation: .sigmoid, detachInput: detach, seed: 3)
            let w = net.weights(for: [instances(1)[0]], labelLogits: [logits], plusID: 1, minusID: 3)
            XCTAssertEqual(w.shape, [1])
            // Manual: softmax over (z+, z-) per row, MLP, mean, sigmoid.
            let rows = (0..<3).map { r -> [Float] in
                let zp = logits.value[element: r, 1], zm = logits.value[element: r, 3]
                let m = max(zp, zm), ep = exp(zp - m), em = exp(zm - m)
                return [ep / (ep + em), em / (ep + em)]
            }
            let manual = noGrad { net.weight(pairs: Variable(Tensor(shape: [3, 2], scalars: rows.flatMap { $0 }))) }
            XCTAssertEqual(w.value.item, manual.value.item, accuracy: 1e-6)
            let g = gradients(of: w.sum(), wrt: [logits] + net.parameters)
            let logitGradNorm = g[0].abs().sumValue
            if detach { XCTAssertEqual(logitGradNorm, 0) } else { XCTAssertGreaterThan(logitGradNorm, 0) }
            XCTAssertGreaterThan(g[1].abs().sumValue, 0, "the MLP gets a gradient")
        }
    }

    func testInstanceNetWithLabelsReadsEachPositionsStepLabel() {
        let logits = Variable(Tensor(shape: [3, 4], scalars: [0.1, 2, -1, 0.3, 1, 0, 0.5, -0.2, -1, 1, 0, 2]), requiresGrad: true)
        let net = InstanceNet(hiddenDim: 5, activation: .sigmoid, readsLabels: true, seed: 3)
        XCTAssertEqual(net.layers[0].weight.value.shape.reduce(1, *), 15, "Linear(3, 5): [p(+), p(-), y]")
        // Three positions; the instance's labels have a fourth (a cut solution keeps a prefix).
        var a = instances(1)[0], b = a
        a.labels = [1, 0, 1, 1]
        b.labels = [1, 1, 1, 1]
        let rows = { (labels: [Float]) -> [Float] in
            (0..<3).flatMap { r -> [Float] in
                let zp = logits.value[element: r, 1], zm = logits.value[element: r, 3]
                let m = max(zp, zm), ep = exp(zp - m), em = exp(zm - m)
                return [ep / (ep + em), em / (ep + em), labels[r]]
            }
        }
        let w = net.weights(for: [a, b], labelLogits: [logits, logits], plusID: 1, minusID: 3)
        XCTAssertEqual(w.shape, [2])
        for (k, inst) in [a, b].enumerated() {
            let manual = noGrad { net.weight(pairs: Variable(Tensor(shape: [3, 3], scalars: rows(inst.labels)))) }
            XCTAssertEqual(w.value.toArray()[k], manual.value.item, accuracy: 1e-6)
        }
        XCTAssertNotEqual(w.value.toArray()[0], w.value.toArray()[1], "the same predictions with other labels weigh differently")
        let g = gradients(of: w.sum(), wrt: [logits] + net.parameters)
        XCTAssertGreaterThan(g[0].abs().sumValue, 0, "not detached: the PRM gets a gradient through the weight")
    }

    func testMetaLossBothAndPlusTargets() {
        // Two solutions, two steps each, vocab of 3: + is id 1, - is id 2.
        let a = Tensor(shape: [2, 3], scalars: [0, 1, 0, 0.5, 0, 1])
        let b = Tensor(shape: [2, 3], scalars: [1, 0, 2, 0, 0, 0])
        func probs(_ t: Tensor) -> [[Float]] { let s = t.softmax(); return (0..<2).map { r in (0..<3).map { s[element: r, $0] } } }
        let pa = probs(a), pb = probs(b)
        let mean: (Variable) -> Variable = { $0.mean() }
        let both = metaLoss(labelLogits: [Variable(a), Variable(b)], labels: [true, false], plusID: 1, minusID: 2, target: .both, aggregate: mean)
        let predA = (pa[0][1] + pa[1][1]) / 2, predB = (pb[0][2] + pb[1][2]) / 2
        XCTAssertEqual(both.value.item, ((predA - 1) * (predA - 1) + (predB - 1) * (predB - 1)) / 2, accuracy: 1e-6)
        let plus = metaLoss(labelLogits: [Variable(a), Variable(b)], labels: [true, false], plusID: 1, minusID: 2, target: .plus, aggregate: mean)
        let plusB = (pb[0][1] + pb[1][1]) / 2
        XCTAssertEqual(plus.value.item, ((predA - 1) * (predA - 1) + plusB * plusB) / 2, accuracy: 1e-6)
        XCTAssertThrowsError(try LossTarget(name: "minus")) { XCTAssertTrue("\($0)".contains("'+', 'both', 'rank', 'steps' or 'step_rank'")) }
    }

    func testMetaLossRankTarget() throws {
        // Three solutions (vocab 3: + is id 1, - is id 2): two correct, one wrong, so two pairs.
        let rows: [[Float]] = [[0, 1, 0, 0.5, 0, 1], [1, 2, -1, 0, 0.5, 0.5, 3, 1, 0], [0.3, -1, 2]]
        let logits = rows.map { Variable(Tensor(shape: [$0.count / 3, 3], scalars: $0), requiresGrad: true) }
        let labels = [true, true, false]
        func margins(_ r: [Float]) -> [Float] { stride(from: 0, to: r.count, by: 3).map { r[$0 + 1] - r[$0 + 2] } }
        func softplus(_ x: Float) -> Float { log1p(exp(x)) }
        for (name, aggregate) in [("mean", { (m: [Float]) in m.reduce(0, +) / Float(m.count) }), ("min", { (m: [Float]) in m.min()! })] {
            let agg = try Aggregation(name: name)
            let loss = metaLoss(labelLogits: logits, labels: labels, plusID: 1, minusID: 2, target: .rank, aggregate: { agg($0) })
            let s = rows.map { aggregate(margins($0)) }
            XCTAssertEqual(loss.value.item, (softplus(s[2] - s[0]) + softplus(s[2] - s[1])) / 2, accuracy: 1e-6, name)

            // Adding one constant to every step's z(+) (a shift of the label prior) changes nothing.
            let shifted = rows.map { r in Variable(Tensor(shape: [r.count / 3, 3], scalars: r.enumerated().map { $0.offset % 3 == 1 ? $0.element + 0.7 : $0.element })) }
            let same = metaLoss(labelLogits: shifted, labels: labels, plusID: 1, minusID: 2, target: .rank, aggregate: { agg($0) })
            XCTAssertEqual(same.value.item, loss.value.item, accuracy: 1e-6, name)

            // The gradient matches central differences for every logit.
            let g = gradients(of: loss, wrt: logits)
            for (k, r) in rows.enumerated() {
                for e in r.indices {
                    func lossAt(_ d: Float) -> Float {
                        let moved = rows.enumerated().map { j, row in Variable(Tensor(shape: [row.count / 3, 3], scalars: row.enumerated().map { j == k && $0.offset == e ? $0.element + d : $0.element })) }
                        return metaLoss(labelLogits: moved, labels: labels, plusID: 1, minusID: 2, target: .rank, aggregate: { agg($0) }).value.item
                    }
                    let numeric = (lossAt(1e-2) - lossAt(-1e-2)) / 2e-2
                    XCTAssertEqual(g[k].toArray()[e], numeric, accuracy: 2e-3, "\(name): solution \(k), logit \(e)")
                }
            }
        }
        // No (correct, wrong) pair in the batch: a constant 0.
        let none = metaLoss(labelLogits: Array(logits.prefix(2)), labels: [true, true], plusID: 1, minusID: 2, target: .rank, aggregate: { $0.mean() })
        XCTAssertEqual(none.value.item, 0)
        // Aggregations that do not commute with a shift are refused, naming the flag.
        var options = ReweightOptions()
        options.lossTarget = .rank
        options.aggregation = try Aggregation(name: "prod")
        XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".contains("loss_target 'rank'") && "\($0)".contains("'prod'")) }
        options.aggregation = try Aggregation(name: "min")
        XCTAssertNoThrow(try options.validate())
    }

    func testMetaLossStepRankTarget() throws {
        // Steps of three solutions (vocab 3: + is id 1, - is id 2); the last solution was cut at
        // max_length after one step, so its second label has no position.
        let rows: [[Float]] = [[0, 1, 0, 0.5, 0, 1], [1, 2, -1, 0, 0.5, 0.5, 3, 1, 0], [0.3, -1, 2]]
        let stepLabels: [[Float]] = [[1, 0], [1, 1, 0], [0, 0]]
        func variables(_ shift: Float = 0, moving: (solution: Int, element: Int, by: Float)? = nil) -> [Variable] {
            rows.enumerated().map { j, r in
                Variable(Tensor(shape: [r.count / 3, 3], scalars: r.enumerated().map { e, x in
                    x + (e % 3 == 1 ? shift : 0) + (moving.map { $0.solution == j && $0.element == e ? $0.by : 0 } ?? 0)
                }), requiresGrad: true)
            }
        }
        func loss(_ v: [Variable]) -> Variable { stepRankingMetaLoss(labelLogits: v, stepLabels: stepLabels, plusID: 1, minusID: 2) }
        // Margins z(+) - z(-) by step: `+` steps 1, 3, 0; `-` steps -1, 1, -3 (the cut label is left out).
        let plus: [Float] = [1, 3, 0], minus: [Float] = [-1, 1, -3]
        let expected = plus.flatMap { p in minus.map { m in log1p(exp(m - p)) } }.reduce(0, +) / 9
        let logits = variables()
        let value = loss(logits)
        XCTAssertEqual(value.value.item, expected, accuracy: 1e-6)
        // A shift of every z(+) (the label prior) changes nothing.
        XCTAssertEqual(loss(variables(0.7)).value.item, expected, accuracy: 1e-6)
        // The gradient matches central differences for every logit.
        let g = gradients(of: value, wrt: logits)
        for (k, r) in rows.enumerated() {
            for e in r.indices {
                let numeric = (loss(variables(moving: (k, e, 1e-2))).value.item - loss(variables(moving: (k, e, -1e-2))).value.item) / 2e-2
                XCTAssertEqual(g[k].toArray()[e], numeric, accuracy: 2e-3, "solution \(k), logit \(e)")
            }
        }
        // Only `+` steps: a constant 0; the name parses and needs step labels.
        XCTAssertEqual(stepRankingMetaLoss(labelLogits: [logits[1]], stepLabels: [[1, 1, 1]], plusID: 1, minusID: 2).value.item, 0)
        XCTAssertEqual(try LossTarget(name: "step_rank"), .stepRank)
        XCTAssertTrue(LossTarget.stepRank.needsStepLabels && LossTarget.steps.needsStepLabels && !LossTarget.rank.needsStepLabels)
    }
}
