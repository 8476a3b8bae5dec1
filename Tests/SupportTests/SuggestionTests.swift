import XCTest
import Support

/// "did you mean": only suggestions that are close relative to the name's length.
final class SuggestionTests: XCTestCase {
    func testTranspositionIsOneEdit() {
        XCTAssertEqual(editDistance("srot", "sort"), 1)
        XCTAssertEqual(editDistance("srot", "plot"), 2)
        XCTAssertEqual(editDistance("titel", "title"), 1)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
    }

    func testOnlyCloseSuggestions() {
        XCTAssertNil(closestName("srot", in: ["plot", "print"]), "two edits from a 4-letter name is noise")
        XCTAssertEqual(closestName("srot", in: ["plot", "sort"]), "sort")
        XCTAssertNil(closestName("b", in: ["e", "a"]), "one-letter names get no suggestion")
        XCTAssertNil(closestName("xy", in: ["x", "xyz"]))
        XCTAssertEqual(closestName("Print", in: ["print"]), "print", "a difference of case alone is suggested")
        XCTAssertEqual(closestName("lenn", in: ["len", "lerp"]), "len")
        XCTAssertEqual(closestName("learnin_rate", in: ["learning_rate", "rate"]), "learning_rate")
        XCTAssertNil(closestName("coldstrt_steps", in: ["batch_size"]))
        XCTAssertEqual(closestName("itrations", in: ["iterations", "steps"]), "iterations")
        XCTAssertNil(closestName("same", in: ["same"]), "the name itself is never suggested")
    }
}
