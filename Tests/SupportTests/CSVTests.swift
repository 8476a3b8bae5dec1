import XCTest
import Support

/// RFC 4180: fields with commas, quotes or line breaks are quoted on the way out and read back
/// whole on the way in.
final class CSVTests: XCTestCase {
    func testQuotesOnlyWhatNeedsIt() {
        XCTAssertEqual(CSV.quote("plain"), "plain")
        XCTAssertEqual(CSV.quote("a,b"), "\"a,b\"")
        XCTAssertEqual(CSV.quote("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSV.quote("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSV.quote("crlf\r\nend"), "\"crlf\r\nend\"", "\"\\r\\n\" is one Character; it must still be quoted")
        XCTAssertEqual(CSV.line(["id", "a,b", ""]), "id,\"a,b\",")
    }

    func testRoundTripOfAwkwardFields() {
        let rows = [["iteration", "id, with comma", "quote \"q\"", "multi\nline", "crlf\r\nline", ""],
                    ["1", "0.5", "-2", "", "x", "y"]]
        let text = CSV.text(rows)
        XCTAssertEqual(text, "iteration,\"id, with comma\",\"quote \"\"q\"\"\",\"multi\nline\",\"crlf\r\nline\",\n1,0.5,-2,,x,y\n")
        XCTAssertEqual(CSV.parse(text), rows)
    }

    func testParsesCRLFAndMissingFinalNewline() {
        XCTAssertEqual(CSV.parse("a,b\r\n1,2\r\n"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(CSV.parse("a,b\n1,2"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(CSV.parse("a,\"\"\n"), [["a", ""]])
        XCTAssertEqual(CSV.parse(""), [])
    }
}
