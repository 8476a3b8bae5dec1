import XCTest
import Foundation
@testable import Lang

/// Builtin parameters declared once: the signature, the call check (one message per problem),
/// the defaults accessors fall back to, the help and the keyword names all come from the list.
final class ParameterTests: XCTestCase {
    /// `train(data, steps: 10, rate: 0.5, tag:)` with `iteration_num` an alias of `steps`;
    /// it returns what it read, so the test sees the defaults.
    func interpreter() -> Interpreter {
        let interp = Interpreter(options: .init(searchPaths: [], output: { _ in }))
        interp.register(BuiltinRegistry(module: "t", builtins: [
            Builtin("train", parameters: [
                .positional("data", "list", "the data"),
                .keyword("steps", "number", default: 10, aliases: ["iteration_num"], "how many steps"),
                .keyword("rate", "number", default: 0.5, "the rate"),
                .keyword("tag", "string", "a label"),
                .keyword("mode", "string", required: true, "fast or slow"),
            ], "Trains.") { a in
                .list([.int(try a.int(nil, "steps")), .number(try a.number(nil, "rate")),
                       a.optional(nil, "tag") ?? .nil, .string(try a.string(nil, "mode")), .int(a.count)])
            },
        ]))
        return interp
    }

    func error(_ source: String) -> String {
        do { _ = try interpreter().evaluate(source); return "no error" } catch { return (error as? DprmError)?.render() ?? "\(error)" }
    }

    func testSignatureHelpAndKeywordNamesComeFromTheDeclaration() throws {
        let b = try XCTUnwrap(interpreter().builtin(named: "train"))
        XCTAssertEqual(b.signature, "train(data, steps: 10, rate: 0.5, tag: nil, mode:)")
        XCTAssertEqual(b.keywordNames, ["data", "steps", "rate", "tag", "mode"])
        XCTAssertTrue(b.helpText.contains("parameters:\n  data  list: the data\n  steps: 10  number (also iteration_num): how many steps"), b.helpText)
        XCTAssertEqual(interpreter().keywordNames(ofCallee: "train"), b.keywordNames)
    }

    func testDefaultsAliasesAndNil() throws {
        let interp = interpreter()
        XCTAssertEqual(try interp.evaluate("train([1], mode: \"fast\")").description, "[10, 0.5, nil, \"fast\", 1]")
        XCTAssertEqual(try interp.evaluate("train([1], iteration_num: 3, rate: nil, tag: \"a\", mode: \"slow\")").description,
                       "[3, 0.5, \"a\", \"slow\", 1]", "an alias is read as its name; nil gives the default")
    }

    func testEveryProblemHasOneMessage() {
        XCTAssertTrue(error("train([1], mode: \"f\", stesp: 2)").contains("train() got an unexpected keyword argument 'stesp'\n"))
        XCTAssertTrue(error("train([1], mode: \"f\", stesp: 2)").contains("note: did you mean `steps`?"))
        XCTAssertTrue(error("train([1], mode: \"f\", steps: 2, iteration_num: 3)").contains("train() got multiple values for argument 'steps'"))
        XCTAssertEqual(error("train(data: [1], mode: \"f\")"), "no error", "a positional parameter may be passed by name")
        XCTAssertTrue(error("train([1], data: [2], mode: \"f\")").contains("train() got multiple values for argument 'data'"))
        XCTAssertTrue(error("train([1], [2], mode: \"f\")").contains("train() takes at most 1 positional argument but 2 were given"))
        XCTAssertTrue(error("train([1])").contains("train() missing argument 'mode'"))
        XCTAssertTrue(error("train(mode: \"f\")").contains("train() missing argument 'data'"))
        // Undeclared builtins give the same message for an unknown keyword.
        XCTAssertTrue(error("print(1, sepp: \"-\")").contains("print() got an unexpected keyword argument 'sepp'\n"))
    }
}
