import Foundation
import Support

/// Reads the JSON object of a model file (`config.json`, a shard index) for the NN loaders:
/// one strict parser (Support's `JSONValue`), errors that name the file and what is wrong.
enum JSONFile {
    /// The top-level object of `path`. `what` names the file in messages ("model config").
    static func object(_ path: String, what: String, missing: String? = nil) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw CheckpointError(path: path, problem: exists ? "cannot read the \(what)" : missing ?? "missing \(what)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes: [UInt8](data)) } catch let e as JSONParseError {
            throw CheckpointError(path: path, problem: "bad JSON: \(e.location)")
        }
        guard value.objectValue != nil else { throw CheckpointError(path: path, problem: "the \(what) is not a JSON object") }
        return value
    }
}
