import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Support

/// The output folder of a training run, checked before the run starts (issue 18, item 9).
///
/// A rerun into a folder that already holds a run used to mix the two silently (`history.csv`
/// of the new run beside the old run's higher-numbered checkpoints and its `checkpoint-final`);
/// a read-only folder failed only after the whole run, losing the model; a file in place of the
/// folder or an uncreatable parent gave raw `NSCocoaErrorDomain` text. `prepare` settles all of
/// that before the first step.
public enum CheckpointFolder {
    /// Names that belong to a run's output: its history and its checkpoints.
    static func isRunOutput(_ name: String) -> Bool {
        name == "history.csv" || name == "weights.csv" || name.hasPrefix("checkpoint-")
    }

    /// Makes `directory` ready for a new run: creates it (and its parents); refuses a folder that
    /// holds a previous run unless `overwrite` (then that run's history and checkpoints are
    /// removed first, so nothing of it is left to be mixed in); removes the `.NAME.tmp-*` folders a
    /// killed checkpoint write leaves behind; and checks that files can be created in it.
    /// Errors are `CheckpointError`s naming the folder and the problem.
    public static func prepare(_ directory: String, overwrite: Bool) throws {
        func bad(_ problem: String) -> CheckpointError { CheckpointError(path: directory, problem: problem) }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw bad("is a file, not a folder: choose another output folder") }
        } else {
            var ancestor = (directory as NSString).deletingLastPathComponent
            while !ancestor.isEmpty, !fm.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            if !ancestor.isEmpty, !isDirectory.boolValue { throw bad("cannot create the folder: '\(ancestor)' is a file") }
            guard mkdirParents(directory) else { throw bad("cannot create the folder: \(AtomicFile.errnoText())") }
        }
        let entries = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        let previous = entries.filter(isRunOutput).sorted()
        if !previous.isEmpty {
            guard overwrite else {
                throw bad("holds a previous run (\(previous.prefix(5).joined(separator: ", "))\(previous.count > 5 ? ", ..." : "")): "
                          + "pass overwrite: true to replace it, or choose another folder (two runs are never mixed)")
            }
            for name in previous {
                do { try fm.removeItem(atPath: directory + "/" + name) } catch {
                    throw bad("cannot remove the previous run's '\(name)': \(AtomicFile.errnoText())")
                }
            }
        }
        // Litter of a checkpoint write that was killed before its rename (see `Checkpoint`).
        for name in entries where name.hasPrefix(".") && name.contains(".tmp-") {
            try? fm.removeItem(atPath: directory + "/" + name)
        }
        let probe = directory + "/.dprm-write-test-\(getpid())"
        guard fm.createFile(atPath: probe, contents: Data()) else {
            throw bad("is not writable (checked before training, so no run is lost at its end)")
        }
        try? fm.removeItem(atPath: probe)
    }

    /// `mkdir -p`; false with errno set on failure.
    static func mkdirParents(_ path: String) -> Bool {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true); return true } catch {
            if errno == 0 { errno = EACCES }
            return false
        }
    }
}
