import Foundation
import XCTest
@testable import NN

/// Resolving model paths and names: a directory as given, a name in the cache, then in the
/// shared models; errors list where it looked.
final class ModelStoreTests: XCTestCase {
    func testResolveOrder() throws {
        let root = try BertTestPaths.scratch()
        let cache = root + "/cache", shared = root + "/shared"
        try FileManager.default.createDirectory(atPath: shared + "/models/tiny", withIntermediateDirectories: true)
        let env = ["DPRM_MODEL_CACHE": cache, "DPRM_SHARED": shared + "/data", "HOME": root]
        XCTAssertEqual(ModelStore.cacheDirectory(environment: env), cache)
        XCTAssertEqual(ModelStore.cacheDirectory(environment: ["HOME": "/home/u"]), "/home/u/.cache/dprm/models")
        XCTAssertEqual(ModelStore.sharedDirectory(environment: env), shared + "/models")
        // Only in the shared folder.
        XCTAssertEqual(try ModelStore.resolve("tiny", environment: env), shared + "/models/tiny")
        // The cache wins once it has the model.
        try FileManager.default.createDirectory(atPath: cache + "/tiny", withIntermediateDirectories: true)
        XCTAssertEqual(try ModelStore.resolve("tiny", environment: env), cache + "/tiny")
        // A path is taken as is.
        XCTAssertEqual(try ModelStore.resolve(shared + "/models/tiny", environment: env), shared + "/models/tiny")
        XCTAssertThrowsError(try ModelStore.resolve("nope", environment: env)) { e in
            XCTAssertTrue("\(e)".contains("model not found") && "\(e)".contains(cache + "/nope") && "\(e)".contains("scripts/fetch-models"), "\(e)")
        }
        XCTAssertThrowsError(try ModelStore.resolve(root + "/absent/dir", environment: env)) { e in
            XCTAssertTrue("\(e)".contains("no such model directory"), "\(e)")
        }
    }

    func testLoadByNameFromSharedModels() throws {
        let dir = try BertTestPaths.model()
        let shared = URL(fileURLWithPath: dir).deletingLastPathComponent().deletingLastPathComponent().path
        let env = ["DPRM_MODEL_CACHE": "/nonexistent-dprm-cache", "DPRM_SHARED": shared]
        let m = try BertModel.load(pathOrName: "minilm-l6-v2", environment: env)
        XCTAssertEqual(m.config.numHiddenLayers, 6)
    }
}
