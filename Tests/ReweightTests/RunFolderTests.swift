import XCTest
import Foundation
import NN
@testable import Reweight

/// `reweight(out:)` is one checkpoint folder replaced whole at each save (issue 18, item 9):
/// a rerun into it used to replace the previous run silently at its first save, and a folder
/// holding other files was deleted by that save. Now, before the first iteration, a previous
/// run's checkpoint is refused unless `overwrite` or the run resumed from that very folder, and
/// a folder holding anything else is refused outright.
extension ReweightingRunTests {
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dprm-runfolder-\(getpid())-\(UUID().uuidString)").path
    }

    func testRerunIntoAnExistingCheckpointIsRefusedUnlessOverwriteOrResume() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/ckpt"
        try makeRun("table", iterations: 3) { $0.checkpointDirectory = dir }.run()
        let first = try String(contentsOfFile: dir + "/history.csv", encoding: .utf8)
        XCTAssertEqual(first.split(separator: "\n").count, 4, first)

        let again = try makeRun("table", iterations: 2) { $0.checkpointDirectory = dir; $0.seed = 9 }
        XCTAssertThrowsError(try again.run()) { e in
            XCTAssertEqual("\(e)", "\(dir): holds a previous run's checkpoint: pass overwrite: true to replace it, resume: \"\(dir)\" to continue it, or choose another folder (two runs are never mixed)")
        }
        XCTAssertTrue(again.history.isEmpty, "refused before the first iteration")
        XCTAssertEqual(try String(contentsOfFile: dir + "/history.csv", encoding: .utf8), first, "the first run's checkpoint is untouched")

        // Resuming from that folder continues into it.
        let resumed = try makeRun("table", iterations: 5) { $0.checkpointDirectory = dir }
        try resumed.loadCheckpoint(from: dir)
        try resumed.run()
        XCTAssertEqual(try ReweightRun.parseHistory(try String(contentsOfFile: dir + "/history.csv", encoding: .utf8), path: dir).map(\.iteration), [1, 2, 3, 4, 5])

        // overwrite replaces it (at the first save, atomically: never half of each).
        let replaced = try makeRun("table", iterations: 2) { $0.checkpointDirectory = dir; $0.overwrite = true }
        try replaced.run()
        XCTAssertEqual(try ReweightRun.parseHistory(try String(contentsOfFile: dir + "/history.csv", encoding: .utf8), path: dir).map(\.iteration), [1, 2])
    }

    func testRunFolderHoldingOtherFilesAFileOrKilledSaveLitter() throws {
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        // A folder of the user's: a save would have deleted notes.txt.
        try fm.createDirectory(atPath: root + "/results", withIntermediateDirectories: true)
        fm.createFile(atPath: root + "/results/notes.txt", contents: Data("keep me".utf8))
        for overwrite in [false, true] {
            XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.checkpointDirectory = root + "/results"; $0.overwrite = overwrite }.run()) { e in
                XCTAssertEqual("\(e)", "\(root)/results: holds files that are not a checkpoint (notes.txt): each save replaces the whole folder, so choose a new or empty folder")
            }
        }
        XCTAssertEqual(fm.contents(atPath: root + "/results/notes.txt"), Data("keep me".utf8))
        // run.save refuses it too (Checkpoint.save guards every checkpoint write).
        let run = try makeRun("table", iterations: 1)
        XCTAssertThrowsError(try run.saveCheckpoint(to: root + "/results")) { e in
            XCTAssertTrue("\(e)".contains("holds files that are not a checkpoint (notes.txt)"), "\(e)")
        }
        XCTAssertEqual(fm.contents(atPath: root + "/results/notes.txt"), Data("keep me".utf8))

        fm.createFile(atPath: root + "/file", contents: Data())
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.checkpointDirectory = root + "/file" }.run()) { e in
            XCTAssertEqual("\(e)", "\(root)/file: is a file, not a folder: choose another output folder")
        }
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.checkpointDirectory = root + "/file/ckpt" }.run()) { e in
            XCTAssertEqual("\(e)", "\(root)/file/ckpt: cannot create the folder: '\(root)/file' is a file")
        }

        // A save killed before its rename leaves .ckpt.tmp-*: removed at the next start. One killed
        // between its two renames leaves the previous checkpoint as .ckpt.old-* and no ckpt:
        // refused (it is the only copy) unless overwrite.
        try fm.createDirectory(atPath: root + "/.ckpt.tmp-AbC123", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/.ckpt.old-XyZ789", withIntermediateDirectories: true)
        XCTAssertThrowsError(try makeRun("table", iterations: 1) { $0.checkpointDirectory = root + "/ckpt" }.run()) { e in
            XCTAssertTrue("\(e)".contains("a killed save left its previous checkpoint as .ckpt.old-XyZ789 beside it"), "\(e)")
        }
        try makeRun("table", iterations: 1) { $0.checkpointDirectory = root + "/ckpt"; $0.overwrite = true }.run()
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".ckpt.") }, [], "no litter left")
        XCTAssertTrue(CheckpointFolder.holdsCheckpoint(root + "/ckpt"))
    }
}
