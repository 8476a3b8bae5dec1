import Foundation
import CMPI

/// The processes of one run and the messages between them, on MPI (Open MPI).
///
/// A run started by `mpirun -np N dprm ...` has N ranks; every other run is a world of one rank
/// that never touches MPI, so single-process runs need no `mpirun` and behave as before.
/// Whether the process was launched by an MPI launcher is read from the environment the
/// launcher sets (`OMPI_COMM_WORLD_SIZE`, `PMIX_RANK`, `PMI_SIZE`); only then is MPI
/// initialised. Initialising always ("singleton" mode) was measured and rejected: it costs
/// about 0.1 s per start on this machine, and in containers it can print transport warnings.
///
/// Every collective here is deterministic: `allReduceSum` gathers the buffers to rank 0, adds
/// them in rank order (rank 0's + rank 1's + ...), and sends the sum back, so every rank holds
/// the same bits after every reduction and a run is a function of its seed and N.
///
/// No call can hang: messages are non-blocking and polled against `timeout` (seconds; default
/// 600, `DPRM_MPI_TIMEOUT` overrides), and MPI errors are returned (MPI_ERRORS_RETURN) instead
/// of aborting inside the library. A peer that does not answer in time, or an MPI error, throws
/// a `DistributedError` naming the rank and the operation; the caller ends the whole job with
/// `abort(_:)` so the other ranks stop too.
public final class World: @unchecked Sendable {
    /// This process's world, initialised on first use.
    public static let shared = World()

    /// This process's index, 0..<size.
    public let rank: Int
    /// Number of processes.
    public let size: Int
    /// Seconds a rank waits for a peer before giving up.
    public var timeout: Double
    /// True when MPI was initialised (launched by mpirun), even with one rank.
    public let usesMPI: Bool
    /// Operations done and seconds spent waiting in them (communication, including waiting for
    /// slower ranks), for the cost model of docs/distributed.md.
    public private(set) var communicationSeconds: Double = 0
    public private(set) var reducedValues: Int = 0
    private let lock = NSLock()
    private var finalized = false

    /// True when the environment says an MPI launcher started this process.
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_SIZE"] != nil
    }

    private init() {
        timeout = ProcessInfo.processInfo.environment["DPRM_MPI_TIMEOUT"].flatMap(Double.init) ?? 600
        guard World.launchedByMPI else {
            rank = 0; size = 1; usesMPI = false
            return
        }
        var provided: Int32 = 0
        // SERIALIZED: the interpreter runs on its own big-stack thread, not the one that
        // initialised MPI; calls never overlap.
        let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
        guard status == cmpi_success() else {
            FileHandle.standardError.write(Data("dprm: MPI_Init failed (error \(status)); is this an Open MPI launch?\n".utf8))
            exit(70)
        }
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(cmpi_comm_world(), &r)
        MPI_Comm_size(cmpi_comm_world(), &s)
        rank = Int(r); size = Int(s); usesMPI = true
    }

    /// True with more than one rank.
    public var isDistributed: Bool { size > 1 }
    /// True on rank 0, the one that writes files, histories and progress bars.
    public var isRoot: Bool { rank == 0 }

    /// The contiguous part of `0..<count` that `rank` holds when `count` items are split over
    /// the ranks: the first `count % size` ranks hold one item more. Depends only on (count,
    /// size, rank), so every rank knows every rank's share.
    public static func shard(count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + Swift.min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// This rank's share of `0..<count`.
    public func shard(count: Int) -> Range<Int> { World.shard(count: count, rank: rank, size: size) }

    // MARK: collectives

    /// Replaces `buffer` on every rank by the elementwise sum of every rank's buffer, added in
    /// rank order on rank 0 (so all ranks get the same bits). Every rank must pass the same count.
    public func allReduceSum(_ buffer: inout [Float], _ what: String = "allreduce") throws {
        guard isDistributed else { return }
        try timed {
            let n = buffer.count
            let tag: Int32 = 11
            try buffer.withUnsafeMutableBufferPointer { out in
                let bytes = UnsafeMutableRawBufferPointer(out)
                if rank == 0 {
                    let parts = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(1, n * (size - 1)))
                    defer { parts.deallocate() }
                    var requests: [MPI_Request?] = []
                    for peer in 1..<size {
                        let slice = UnsafeMutableRawBufferPointer(start: parts.baseAddress! + (peer - 1) * n, count: n * 4)
                        requests.append(try receive(slice, from: peer, tag: tag, what))
                    }
                    for (k, peer) in (1..<size).enumerated() { try wait(&requests[k], peer: peer, what) }
                    // Rank order: ((b0 + b1) + b2) + ...
                    for peer in 1..<size {
                        let p = parts.baseAddress! + (peer - 1) * n
                        for i in 0..<n { out[i] += p[i] }
                    }
                    var sends: [MPI_Request?] = []
                    for peer in 1..<size { sends.append(try send(UnsafeRawBufferPointer(bytes), to: peer, tag: tag + 1, what)) }
                    for (k, peer) in (1..<size).enumerated() { try wait(&sends[k], peer: peer, what) }
                } else {
                    var request = try send(UnsafeRawBufferPointer(bytes), to: 0, tag: tag, what)
                    try wait(&request, peer: 0, what)
                    var back = try receive(bytes, from: 0, tag: tag + 1, what)
                    try wait(&back, peer: 0, what)
                }
            }
            reducedValues += n
        }
    }

    /// The elementwise rank-order sum of every rank's `values` (see `allReduceSum(_:_:)`).
    public func allReduced(_ values: [Float], _ what: String = "allreduce") throws -> [Float] {
        var b = values
        try allReduceSum(&b, what)
        return b
    }

    /// Rank `root`'s bytes on every rank (other ranks' `data` is ignored).
    public func broadcast(_ data: [UInt8], root: Int = 0, _ what: String = "broadcast") throws -> [UInt8] {
        guard isDistributed else { return data }
        return try timed {
            let tag: Int32 = 21
            if rank == root {
                for peer in 0..<size where peer != root { try sendMessage(data, to: peer, tag: tag, what) }
                return data
            }
            return try receiveMessage(from: root, tag: tag, what)
        }
    }

    /// Rank `root`'s floats on every rank.
    public func broadcast(_ values: [Float], root: Int = 0, _ what: String = "broadcast") throws -> [Float] {
        guard isDistributed else { return values }
        let bytes = try broadcast(values.withUnsafeBytes { Array($0) }, root: root, what)
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Every rank's bytes, in rank order, on every rank (lengths may differ).
    public func allGather(_ data: [UInt8], _ what: String = "gather") throws -> [[UInt8]] {
        guard isDistributed else { return [data] }
        return try timed {
            let tag: Int32 = 31
            var packed: [UInt8] = []
            var parts: [[UInt8]] = []
            if rank == 0 {
                parts = [data]
                for peer in 1..<size { parts.append(try receiveMessage(from: peer, tag: tag, what)) }
                for p in parts {
                    withUnsafeBytes(of: Int64(p.count).littleEndian) { packed += $0 }
                    packed += p
                }
                for peer in 1..<size { try sendMessage(packed, to: peer, tag: tag + 2, what) }
                return parts
            }
            try sendMessage(data, to: 0, tag: tag, what)
            packed = try receiveMessage(from: 0, tag: tag + 2, what)
            var k = 0
            while k + 8 <= packed.count {
                var n: Int64 = 0
                withUnsafeMutableBytes(of: &n) { $0.copyBytes(from: packed[k..<(k + 8)]) }
                let count = Int(Int64(littleEndian: n))
                k += 8
                parts.append(Array(packed[k..<(k + count)]))
                k += count
            }
            guard parts.count == size else { throw DistributedError.mismatch("\(what): rank \(rank) got \(parts.count) parts from rank 0 for \(size) ranks") }
            return parts
        }
    }

    /// Every rank's floats, in rank order, on every rank.
    public func allGather(_ values: [Float], _ what: String = "gather") throws -> [[Float]] {
        guard isDistributed else { return [values] }
        return try allGather(values.withUnsafeBytes { Array($0) }, what).map { bytes in
            bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    /// Waits until every rank has arrived.
    public func barrier(_ what: String = "barrier") throws {
        guard isDistributed else { return }
        var token: [Float] = [0]
        try allReduceSum(&token, what)
    }

    /// Ends every rank of the job: prints `message` (prefixed with this rank) to stderr and
    /// calls MPI_Abort, which makes the launcher stop the others. In a world of one, exits.
    public func abort(_ message: String, code: Int32 = 70) -> Never {
        FileHandle.standardError.write(Data("dprm (rank \(rank) of \(size)): \(message)\n".utf8))
        if usesMPI { MPI_Abort(cmpi_comm_world(), code) }
        exit(code)
    }

    /// Finalises MPI (once; a no-op without it). Call before a normal exit.
    public func finalize() {
        lock.lock(); defer { lock.unlock() }
        guard usesMPI, !finalized else { return }
        finalized = true
        MPI_Finalize()
    }

    // MARK: point to point with a deadline

    private func timed<R>(_ body: () throws -> R) throws -> R {
        let start = Date()
        defer { communicationSeconds += Date().timeIntervalSince(start) }
        return try body()
    }

    private func check(_ status: Int32, peer: Int, _ what: String) throws {
        guard status != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        throw DistributedError.mpi(rank: rank, peer: peer, operation: what, message: String(cString: text))
    }

    private func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int32, _ what: String) throws -> MPI_Request? {
        var request: MPI_Request? = cmpi_request_null()
        try check(MPI_Isend(bytes.baseAddress, Int32(bytes.count), cmpi_byte(), Int32(peer), tag, cmpi_comm_world(), &request), peer: peer, what)
        return request
    }

    private func receive(_ bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int32, _ what: String) throws -> MPI_Request? {
        var request: MPI_Request? = cmpi_request_null()
        try check(MPI_Irecv(bytes.baseAddress, Int32(bytes.count), cmpi_byte(), Int32(peer), tag, cmpi_comm_world(), &request), peer: peer, what)
        return request
    }

    /// Sends a length (8 bytes) then the bytes, waiting for both.
    private func sendMessage(_ data: [UInt8], to peer: Int, tag: Int32, _ what: String) throws {
        let count = [Int64(data.count)]
        try count.withUnsafeBytes { b in
            var r = try send(b, to: peer, tag: tag, what)
            try wait(&r, peer: peer, what)
        }
        try data.withUnsafeBytes { b in
            var r = try send(b, to: peer, tag: tag + 1, what)
            try wait(&r, peer: peer, what)
        }
    }

    /// Receives what `sendMessage` sent.
    private func receiveMessage(from peer: Int, tag: Int32, _ what: String) throws -> [UInt8] {
        var count = [Int64(0)]
        try count.withUnsafeMutableBytes { b in
            var r = try receive(b, from: peer, tag: tag, what)
            try wait(&r, peer: peer, what)
        }
        guard count[0] >= 0 else { throw DistributedError.mismatch("\(what): rank \(peer) announced \(count[0]) bytes") }
        var out = [UInt8](repeating: 0, count: Int(count[0]))
        try out.withUnsafeMutableBytes { b in
            var r = try receive(b, from: peer, tag: tag + 1, what)
            try wait(&r, peer: peer, what)
        }
        return out
    }

    /// Polls `request` until it completes or `timeout` passes. Sleeps between polls (growing
    /// from 20 µs to 1 ms) so a waiting rank leaves the CPU to ranks that compute on the same core.
    private func wait(_ request: inout MPI_Request?, peer: Int, _ what: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: UInt32 = 20
        var polls = 0
        while true {
            var done: Int32 = 0
            try check(MPI_Test(&request, &done, cmpi_status_ignore()), peer: peer, what)
            if done != 0 { return }
            polls += 1
            if polls > 200 {
                usleep(pause)
                pause = Swift.min(pause * 2, 1000)
            }
            if polls % 64 == 0, Date() > deadline {
                throw DistributedError.timeout(rank: rank, peer: peer, operation: what, seconds: timeout)
            }
        }
    }
}

/// A failed message between ranks.
public enum DistributedError: Error, CustomStringConvertible {
    case timeout(rank: Int, peer: Int, operation: String, seconds: Double)
    case mpi(rank: Int, peer: Int, operation: String, message: String)
    /// The ranks disagree on something that must be the same everywhere (a buffer length).
    case mismatch(String)

    public var description: String {
        switch self {
        case .timeout(let r, let p, let op, let s):
            return "distributed: rank \(r) waited \(s) s for rank \(p) in \(op): rank \(p) died or hangs; stopping the job (DPRM_MPI_TIMEOUT sets the wait)"
        case .mpi(let r, let p, let op, let m):
            return "distributed: rank \(r), \(op) with rank \(p): MPI error: \(m)"
        case .mismatch(let m):
            return "distributed: \(m)"
        }
    }
}
