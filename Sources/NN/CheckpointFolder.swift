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

    /// True when `directory` holds a checkpoint (its weights or its config).
    public static func holdsCheckpoint(_ directory: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: directory + "/" + Checkpoint.weightsFile) || fm.fileExists(atPath: directory + "/" + Checkpoint.configFile)
    }

    /// Makes `directory` ready for a run whose output is one checkpoint folder, replaced whole at
    /// every save (`reweight(out:)`): refuses a folder holding another run's checkpoint unless
    /// `overwrite` or the run continues that very checkpoint (`resumedFrom` is `directory`);
    /// refuses a folder holding anything else, even with `overwrite` (a save would delete it);
    /// removes the `.NAME.tmp-*` folders a killed save leaves beside it; refuses, unless
    /// `overwrite`, a missing folder whose previous checkpoint a killed save left as
    /// `.NAME.old-*` (see `Checkpoint`); and checks that the parent can take the new folder.
    /// Errors are `CheckpointError`s naming the folder and the problem.
    public static func prepareCheckpoint(_ directory: String, overwrite: Bool, resumedFrom: String?) throws {
        func bad(_ problem: String) -> CheckpointError { CheckpointError(path: directory, problem: problem) }
        let fm = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        let parent = target.deletingLastPathComponent().path, name = target.lastPathComponent
        let continuing = resumedFrom.map { URL(fileURLWithPath: $0).standardizedFileURL.path == target.path } ?? false
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: target.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw bad("is a file, not a folder: choose another output folder") }
            let entries = ((try? fm.contentsOfDirectory(atPath: target.path)) ?? []).sorted()
            if holdsCheckpoint(target.path) {
                guard overwrite || continuing else {
                    throw bad("holds a previous run's checkpoint: pass overwrite: true to replace it, resume: \"\(directory)\" to continue it, "
                              + "or choose another folder (two runs are never mixed)")
                }
            } else if !entries.isEmpty {
                throw bad("holds files that are not a checkpoint (\(entries.prefix(5).joined(separator: ", "))\(entries.count > 5 ? ", ..." : "")): "
                          + "each save replaces the whole folder, so choose a new or empty folder")
            }
        } else {
            var ancestor = parent
            while !ancestor.isEmpty, ancestor != "/", !fm.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            if fm.fileExists(atPath: ancestor, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw bad("cannot create the folder: '\(ancestor)' is a file")
            }
            guard mkdirParents(parent) else { throw bad("cannot create the folder: \(AtomicFile.errnoText())") }
        }
        let siblings = (try? fm.contentsOfDirectory(atPath: parent)) ?? []
        let kept = siblings.filter { $0.hasPrefix("." + name + ".old-") }.sorted()
        if !kept.isEmpty && !fm.fileExists(atPath: target.path) {
            guard overwrite else {
                throw bad("is missing, and a killed save left its previous checkpoint as \(kept[0]) beside it: rename that to \(name) "
                          + "to keep it (or resume from it), or pass overwrite: true to start over")
            }
        }
        for litter in siblings where litter.hasPrefix("." + name + ".tmp-") || (overwrite && litter.hasPrefix("." + name + ".old-")) {
            try? fm.removeItem(atPath: parent + "/" + litter)
        }
        let probe = parent + "/.dprm-write-test-\(getpid())"
        guard fm.createFile(atPath: probe, contents: Data()) else {
            throw bad("cannot be written: its folder '\(parent)' is not writable (checked before training, so no run is lost at its end)")
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
