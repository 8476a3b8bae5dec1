/// A problem with a data file that the user can fix: names the file, the 0-based record index
/// (when the problem is in one record) and what is wrong.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Problem: Error, Equatable, Sendable {
        /// The file could not be read.
        case unreadable(String)
        /// The text is not JSON (or a JSONL line is not).
        case invalidJSON(String)
        /// A required key is absent.
        case missingKey(String)
        /// A key holds the wrong JSON type.
        case wrongType(key: String, expected: String, found: String)
        /// A record has no steps.
        case emptySteps
        /// A gpt turn is neither `+`, `-` nor a number in [0, 1].
        case badLabel(String)
        /// The conversation does not follow system / human question / (human step, gpt label)*.
        case badConversation(String)
        /// Anything else, described in words.
        case invalid(String)
        /// An image file named by an instance does not exist.
        case missingImage(String)
        /// An image file exists but cannot be decoded.
        case badImage(String)
    }

    public let file: String
    /// 0-based index of the record in the file (list position, or JSONL line among non-blank lines).
    public let record: Int?
    public let problem: Problem

    public init(file: String, record: Int? = nil, problem: Problem) {
        self.file = file
        self.record = record
        self.problem = problem
    }

    public var problemDescription: String {
        switch problem {
        case .unreadable(let why): return "cannot read file: \(why)"
        case .invalidJSON(let why): return "invalid JSON: \(why)"
        case .missingKey(let key): return "missing key '\(key)'"
        case let .wrongType(key, expected, found): return "key '\(key)' should be \(expected), found \(found)"
        case .emptySteps: return "empty steps (the solution has no step)"
        case .badLabel(let value): return "gpt turn must be '+', '-' or a number in [0, 1], found \(value)"
        case .badConversation(let why): return "bad conversation: \(why)"
        case .invalid(let why): return why
        case .missingImage(let path): return "image file not found: \(path) (set textOnly to ignore images)"
        case .badImage(let why): return "cannot decode image: \(why)"
        }
    }

    public var description: String {
        if let record { return "\(file): record \(record): \(problemDescription)" }
        return "\(file): \(problemDescription)"
    }
}

/// How readers treat bad records.
public struct ReadOptions: Sendable {
    /// Skip records that fail validation (counting them) instead of throwing on the first one.
    /// File-level problems (unreadable file, a JSON file that does not parse) always throw.
    public var skipInvalid: Bool
    /// Read at most this many valid records (nil: all).
    public var limit: Int?

    public init(skipInvalid: Bool = false, limit: Int? = nil) {
        self.skipInvalid = skipInvalid
        self.limit = limit
    }
}

/// What a reader returns: the valid records, and what was skipped and why.
public struct ReadResult<Element> {
    public var items: [Element]
    /// Number of records skipped because they were invalid (only with `skipInvalid`).
    public var skipped: Int { errors.count }
    /// One error per skipped record.
    public var errors: [DatasetError]
    /// One message per skipped record (`errors` rendered).
    public var messages: [String] { errors.map(\.description) }

    public init(items: [Element] = [], errors: [DatasetError] = []) {
        self.items = items
        self.errors = errors
    }
}

extension ReadResult: Sendable where Element: Sendable {}
