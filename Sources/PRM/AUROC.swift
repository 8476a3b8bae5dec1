/// Area under the ROC curve of `scores` for telling `labels == true` (positives) from false.
///
/// Computed as the Mann-Whitney statistic: the probability that a random positive scores higher
/// than a random negative, a tie counting 1/2 (average ranks over tied scores). Equal to
/// sklearn's `roc_auc_score`. Returns nil when either class is absent (the AUROC is undefined).
/// Non-finite scores take part in the ranking (-infinity lowest); NaN scores are a programmer
/// error.
public func auroc(_ scores: [Float], _ labels: [Bool]) -> Double? {
    precondition(scores.count == labels.count, "auroc: \(scores.count) scores but \(labels.count) labels")
    precondition(!scores.contains { $0.isNaN }, "auroc: a score is NaN")
    let positives = labels.filter { $0 }.count
    let negatives = labels.count - positives
    if positives == 0 || negatives == 0 { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    var rankSum = 0.0
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
        let averageRank = Double(i + j + 2) / 2
        for k in i...j where labels[order[k]] { rankSum += averageRank }
        i = j + 1
    }
    let p = Double(positives), n = Double(negatives)
    return (rankSum - p * (p + 1) / 2) / (p * n)
}
