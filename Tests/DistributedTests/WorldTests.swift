import XCTest
@testable import Distributed

/// The single-process side of `World` and the shard arithmetic. The multi-rank behaviour
/// (reductions, gathers, a dead rank) runs under mpirun in REPLTests' DistributedRunTests.
final class WorldTests: XCTestCase {
    func testShardsCoverTheRangeInOrderAndDifferByAtMostOne() {
        for count in 0...13 {
            for size in 1...5 {
                let shards = (0..<size).map { World.shard(count: count, rank: $0, size: size) }
                XCTAssertEqual(shards.first?.lowerBound, 0)
                XCTAssertEqual(shards.last?.upperBound, count, "count \(count) size \(size)")
                for (a, b) in zip(shards, shards.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                let lengths = shards.map(\.count)
                XCTAssertLessThanOrEqual(lengths.max()! - lengths.min()!, 1)
                // The longer shards come first.
                XCTAssertEqual(lengths, lengths.sorted(by: >))
            }
        }
        XCTAssertEqual(World.shard(count: 8, rank: 2, size: 3), 6..<8)
        XCTAssertEqual(World.shard(count: 2, rank: 2, size: 3), 2..<2)
    }

    func testWithoutALauncherTheWorldIsOneRankAndCollectivesAreIdentities() throws {
        // XCTest is never started by mpirun (CI runs the multi-rank tests as child processes).
        XCTAssertFalse(World.launchedByMPI)
        let w = World.shared
        XCTAssertEqual(w.rank, 0)
        XCTAssertEqual(w.size, 1)
        XCTAssertFalse(w.usesMPI)
        XCTAssertFalse(w.isDistributed)
        var b: [Float] = [1.5, -2, 3]
        try w.allReduceSum(&b)
        XCTAssertEqual(b, [1.5, -2, 3])
        XCTAssertEqual(try w.allGather([Float(4), 5]), [[4, 5]])
        XCTAssertEqual(try w.broadcast([UInt8(7), 8]), [7, 8])
        try w.barrier()
        XCTAssertEqual(w.shard(count: 5), 0..<5)
    }

    func testErrorsNameTheRanksAndTheOperation() {
        let e = DistributedError.timeout(rank: 0, peer: 2, operation: "gradient allreduce", seconds: 5)
        XCTAssertTrue(e.description.contains("rank 0 waited 5.0 s for rank 2 in gradient allreduce"), e.description)
        XCTAssertTrue(e.description.contains("rank 2 died or hangs"))
    }
}
