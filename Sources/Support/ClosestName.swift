/// "Did you mean": the one edit distance and the one rule for which near names are worth
/// suggesting, used by the language (names, keys, keywords, members, commands, help topics) and
/// by Plotting (option names, table columns).

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean":
/// inserting, deleting or replacing a character costs 1, and so does swapping two neighbours
/// (`srot` is one edit from `sort`, two from `plot`).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var before = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], before[j - 2] + 1) }
        }
        (before, prev, cur) = (prev, cur, before)
    }
    return prev[b.count]
}

/// How many edits a suggestion for a name of `length` characters may be away: none for one or
/// two characters (every short name is an edit or two from many others, so a suggestion there is
/// noise), one up to five characters, two up to eleven, three beyond.
public func suggestionLimit(_ length: Int) -> Int {
    length <= 2 ? 0 : length <= 5 ? 1 : length <= 11 ? 2 : 3
}

/// The candidate closest to `name` (ignoring case) within `suggestionLimit` edits, if any: the one
/// home of "did you mean" for names, keys, keywords, members, commands and help topics.
public func closestName(_ name: String, in candidates: [String]) -> String? {
    let limit = suggestionLimit(name.count)
    var best: (String, Int)? = nil
    for c in candidates where c != name {
        let d = editDistance(name.lowercased(), c.lowercased())
        if d <= limit && (best == nil || d < best!.1 || (d == best!.1 && c < best!.0)) { best = (c, d) }
    }
    return best?.0
}
