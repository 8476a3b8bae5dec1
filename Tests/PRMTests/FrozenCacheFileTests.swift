import Foundation
import XCTest
import Support
import Tensors
import Autodiff
import NN
import Datasets
@testable import PRM

/// The file-backed frozen-output cache (`FrozenPrefixCache(width:limitBytes:path:key:)`,
/// `FrozenCacheFile`, `LlamaPRMBackbone.useFrozenCache`) on the tiny random llama with its top
/// block trainable: the same loss and gradients as the uncached PRM, the limit on the file, a
/// second run reusing the file, and stale, damaged or foreign files rebuilt instead of read.
final class FrozenCacheFileTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = PRMFixture.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static func lossAndGradients(_ prm: ProcessRewardModel, _ b: [TemplatedInstance]) -> (Float, [[Float]]) {
        prm.network.zeroGrad()
        let loss = prm.meanLoss(b)
        loss.backward()
        return (loss.value.item, prm.parameters.map { $0.grad!.toArray() })
    }

    /// Within 1e-5 rather than exactly: a cached row was computed in a batch of another shape, and
    /// BLAS blocks products of different shapes differently, so the last bits may differ.
    static func assertClose(_ got: (Float, [[Float]]), _ reference: (Float, [[Float]]), _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.0, reference.0, accuracy: 1e-5, what, file: file, line: line)
        XCTAssertEqual(got.1.count, reference.1.count, file: file, line: line)
        for (g, r) in zip(got.1, reference.1) {
            XCTAssertLessThanOrEqual(zip(g, r).map { abs($0 - $1) }.max()!, 1e-5, what, file: file, line: line)
        }
    }

    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? -1
    }

    func testFileCacheGivesTheUncachedLossAndGradientsAndIsReusedByTheNextRun() throws {
        let plain = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let batch = LlamaPRMTrainingTests.instances().map { plain.template($0) }
        let reference = Self.lossAndGradients(plain, batch)
        let path = dir + "/frozen.cache"
        do {
            let cached = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
            let backbone = cached.network as! LlamaPRMBackbone
            try backbone.useFrozenCache(limitBytes: 1 << 20, path: path)
            let cache = backbone.frozenCache!
            XCTAssertEqual(cache.fileOpening, .created)
            XCTAssertEqual(cache.key, backbone.frozenFingerprint())
            _ = Self.lossAndGradients(cached, [batch[2]])   // fills instance c's entry alone
            XCTAssertEqual([cache.hits, cache.misses, cache.count], [0, 1, 1])
            for round in 0..<2 {
                // Round 0: c is read from the file, a and b computed together; round 1: all three read.
                Self.assertClose(Self.lossAndGradients(cached, batch), reference, "round \(round)")
                XCTAssertEqual([cache.hits, cache.misses, cache.count], round == 0 ? [1, 3, 3] : [4, 3, 3])
            }
            let records = batch.map { FrozenPrefixCache.fileEntryBytes(tokens: $0.tokens.count, width: backbone.hiddenSize) }.reduce(0, +)
            XCTAssertEqual(cache.bytes, records)
            XCTAssertEqual(fileSize(path), 64 + records)
        }   // the PRM and its cache are gone: the file is closed and unlocked
        let next = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = next.network as! LlamaPRMBackbone
        try backbone.useFrozenCache(limitBytes: 1 << 20, path: path)
        let cache = backbone.frozenCache!
        XCTAssertEqual(cache.fileOpening, .reused(entries: 3))
        Self.assertClose(Self.lossAndGradients(next, batch), reference, "a second run reading the file")
        XCTAssertEqual([cache.hits, cache.misses], [3, 0], "nothing recomputed")
    }

    /// The limit counts the file's records: entries beyond it are not stored and are recomputed
    /// on every visit, with the same loss; the file never grows past 64 bytes + the limit.
    func testTheSizeLimitIsRespected() throws {
        let plain = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let batch = LlamaPRMTrainingTests.instances().map { plain.template($0) }
        let reference = Self.lossAndGradients(plain, batch)
        let prm = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = prm.network as! LlamaPRMBackbone
        let sizes = batch.map { FrozenPrefixCache.fileEntryBytes(tokens: $0.tokens.count, width: backbone.hiddenSize) }
        // Room for a and b (stored in batch order), one byte short of c as well.
        let limit = sizes[0] + sizes[1] + sizes[2] - 1
        let path = dir + "/limited.cache"
        try backbone.useFrozenCache(limitBytes: limit, path: path)
        do {   // no reference to the cache outlives this scope: the file is reopened below
            let cache = backbone.frozenCache!
            for round in 0..<3 {
                Self.assertClose(Self.lossAndGradients(prm, batch), reference, "round \(round)")
                XCTAssertEqual([cache.count, cache.skipped], [2, round + 1], "c is recomputed on every visit")
                XCTAssertEqual(cache.hits, 2 * round)
            }
            XCTAssertEqual(cache.bytes, sizes[0] + sizes[1])
        }
        XCTAssertLessThanOrEqual(fileSize(path), 64 + limit)
        // In memory the limit counts the rows' bytes: the same rule, with the same loss.
        let rows = batch.map { $0.tokens.count * backbone.hiddenSize * 4 }
        try backbone.useFrozenCache(limitBytes: rows[0] + rows[1])
        Self.assertClose(Self.lossAndGradients(prm, batch), reference, "in memory")
        XCTAssertEqual([backbone.frozenCache!.count, backbone.frozenCache!.skipped], [2, 1])
        XCTAssertNil(backbone.frozenCache!.path)
        // A file reopened under a smaller limit keeps only the records that fit it, and gives
        // the rest of the disk back.
        try backbone.useFrozenCache(limitBytes: sizes[0], path: path)
        XCTAssertEqual(backbone.frozenCache!.fileOpening, .reused(entries: 1))
        XCTAssertEqual(fileSize(path), 64 + sizes[0])
        Self.assertClose(Self.lossAndGradients(prm, batch), reference, "smaller limit")
    }

    /// The training loop through the file cache: frozen parameters are never written.
    func testFrozenParametersStayBitIdenticalWhenTrainingThroughTheFileCache() throws {
        let prm = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = prm.network as! LlamaPRMBackbone
        try backbone.useFrozenCache(limitBytes: 1 << 20, path: dir + "/train.cache")
        let before = prm.network.stateDict().mapValues { $0.toArray() }
        _ = try coldStart(prm, train: LlamaPRMTrainingTests.instances(), options: LlamaPRMTrainingTests.options(iterations: 4))
        XCTAssertGreaterThan(backbone.frozenCache!.hits, 0, "later steps read the file")
        Self.assertOnlyTrainableMoved(prm, since: before)
    }

    /// Every trainable tensor of `prm` differs from `before`, every other one is bit-identical.
    static func assertOnlyTrainableMoved(_ prm: ProcessRewardModel, since before: [String: [Float]], file: StaticString = #filePath, line: UInt = #line) {
        let trainable = Set(prm.namedParameters.map(\.0))
        for (name, values) in prm.network.stateDict().mapValues({ $0.toArray() }) {
            if trainable.contains(name) {
                XCTAssertNotEqual(values, before[name]!, "\(name) trained", file: file, line: line)
            } else {
                XCTAssertEqual(values, before[name]!, "\(name) is frozen", file: file, line: line)   // exact: never written
            }
        }
    }

    /// A file from other frozen weights, other settings, a damaged or a foreign file is never
    /// read: it is emptied and rebuilt, and `fileOpening` says why.
    func testStaleDamagedAndForeignFilesAreRebuiltNotRead() throws {
        let prm = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let backbone = prm.network as! LlamaPRMBackbone
        let batch = LlamaPRMTrainingTests.instances().map { prm.template($0) }
        let reference = Self.lossAndGradients(prm, batch)
        let path = dir + "/stale.cache"
        func fill() throws {
            try backbone.useFrozenCache(limitBytes: 1 << 20, path: path)
            _ = Self.lossAndGradients(prm, batch)
            XCTAssertEqual(backbone.frozenCache!.count, 3)
            backbone.frozenCache = nil
        }
        func reopen(_ model: LlamaPRMBackbone = backbone) throws -> FrozenPrefixCache.FileOpening? {
            try model.useFrozenCache(limitBytes: 1 << 20, path: path)
            defer { model.frozenCache = nil }
            return model.frozenCache!.fileOpening
        }
        func rebuilt(_ opening: FrozenPrefixCache.FileOpening?, _ why: String, file: StaticString = #filePath, line: UInt = #line) {
            guard case .rebuilt(let reason) = opening else { return XCTFail("\(String(describing: opening)), expected rebuilt (\(why))", file: file, line: line) }
            XCTAssertTrue(reason.contains(why), reason, file: file, line: line)
            XCTAssertEqual(fileSize(path), 64, "emptied", file: file, line: line)
        }
        // Other frozen weights: the same architecture with one embedding changed.
        try fill()
        let other = try LlamaPRMTests.tinyPRM(trainableLayers: 1)
        let otherBackbone = other.network as! LlamaPRMBackbone
        otherBackbone.decoder.embedTokens.weight.value.withMutablePointer { $0[5] += 0.25 }
        XCTAssertNotEqual(otherBackbone.frozenFingerprint(), backbone.frozenFingerprint())
        rebuilt(try reopen(otherBackbone), "other frozen weights or settings")
        // Other settings: both blocks frozen.
        try fill()
        let deeper = try LlamaPRMTests.tinyPRM(trainableLayers: 0)
        rebuilt(try reopen(deeper.network as! LlamaPRMBackbone), "other frozen weights or settings")
        // A flipped byte in a record's rows.
        try fill()
        try patch(path, at: 64 + 16 + 8 * batch[0].tokens.count + 40) { $0 ^= 0x10 }
        rebuilt(try reopen(), "record 0 fails its checksum")
        // A truncated file (a copy cut short).
        try fill()
        XCTAssertEqual(truncate(path, 64 + 100), 0)
        rebuilt(try reopen(), "the file holds 100")
        // A damaged header.
        try fill()
        try patch(path, at: 33) { $0 ^= 1 }
        rebuilt(try reopen(), "damaged header")
        // Foreign files: too short, and something else entirely.
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        rebuilt(try reopen(), "shorter than its header")
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path))
        rebuilt(try reopen(), "not a dprm frozen-output cache")
        // After all that the file works as a cache again, with the uncached loss.
        try backbone.useFrozenCache(limitBytes: 1 << 20, path: path)
        XCTAssertEqual(backbone.frozenCache!.fileOpening, .reused(entries: 0))   // the emptied file, keyed to this model
        Self.assertClose(Self.lossAndGradients(prm, batch), reference, "first visit")
        Self.assertClose(Self.lossAndGradients(prm, batch), reference, "read back")
        XCTAssertEqual(backbone.frozenCache!.hits, 3)
    }

    func testUnusablePathsAreErrorsNamingThePath() throws {
        let backbone = try LlamaPRMTests.tinyPRM(trainableLayers: 1).network as! LlamaPRMBackbone
        func problem(_ path: String) -> String {
            do { try backbone.useFrozenCache(limitBytes: 1 << 20, path: path); return "no error" } catch { return "\(error)" }
        }
        let missing = dir + "/no-such-folder/x.cache"
        XCTAssertTrue(problem(missing).contains("cannot write '\(missing)'"), problem(missing))
        XCTAssertTrue(problem(dir).contains("is a folder"), problem(dir))
        // One owner per file: a second cache on the same file (here another PRM) is refused.
        let path = dir + "/owned.cache"
        try backbone.useFrozenCache(limitBytes: 1 << 20, path: path)
        let second = try LlamaPRMTests.tinyPRM(trainableLayers: 1).network as! LlamaPRMBackbone
        XCTAssertThrowsError(try second.useFrozenCache(limitBytes: 1 << 20, path: path)) {
            XCTAssertTrue("\($0)".contains("in use by another process"), "\($0)")
        }
        XCTAssertThrowsError(try backbone.useFrozenCache(limitBytes: -1))
        // A copied backbone shares the cache object, file included (its frozen blocks are
        // bit-identical; one object in one process keeps the file's one owner); changing its
        // trainable set gives it an empty in-memory cache and leaves the file to the original.
        let twin = try backbone.copy() as! LlamaPRMBackbone
        XCTAssertTrue(twin.frozenCache === backbone.frozenCache)
        try twin.setTrainableLayers(2)
        XCTAssertNil(twin.frozenCache!.path)
        XCTAssertEqual(backbone.frozenCache!.path, path)
    }

    /// Changes one byte of a file in place.
    func patch(_ path: String, at offset: Int, _ change: (inout UInt8) -> Void) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        change(&data[offset])
        try data.write(to: URL(fileURLWithPath: path))
    }
}
