/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

/// The ChatML conversation format of SmolLM2, Qwen2 and the DreamPRM-1.5 reference:
/// `<|im_start|>{role}\n{content}<|im_end|>\n` per turn, and `<|im_start|>assistant\n` to ask for
/// the model's answer. Some models' templates put a default system turn first when the
/// conversation does not start with one (SmolLM2: "You are a helpful AI assistant named SmolLM,
/// trained by Hugging Face").
///
/// dprm does not run Jinja: `init?(chatTemplate:)` recognises a ChatML template and takes its
/// default system prompt out of it; the output equals transformers' `apply_chat_template` for
/// such templates (checked by the BPE fixture tests on SmolLM2's own template).
public struct ChatMLTemplate: Sendable, Equatable {
    /// The system turn written when the first message is not a system message (nil: none).
    public var defaultSystemPrompt: String?

    public init(defaultSystemPrompt: String? = nil) { self.defaultSystemPrompt = defaultSystemPrompt }

    /// The template of a Jinja chat template (a GGUF `tokenizer.chat_template` or
    /// tokenizer_config.json's `chat_template`), when it is ChatML; nil otherwise.
    public init?(chatTemplate jinja: String) {
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>") else { return nil }
        // The default system turn is a string literal '<|im_start|>system\n...<|im_end|>\n' in
        // the template (the newline written as \n or as a real line break).
        for opening in ["'<|im_start|>system\\n", "'<|im_start|>system\n"] {
            var from = jinja.startIndex
            while let start = jinja[from...].range(of: opening) {
                from = start.upperBound
                guard let end = jinja[start.upperBound...].range(of: "<|im_end|>") else { break }
                let prompt = String(jinja[start.upperBound..<end.lowerBound])
                // A literal that continues with Jinja (`' + messages[0]['content'] + '`) is the
                // system turn of the conversation itself, not a default.
                if prompt.contains("'") { continue }
                self.defaultSystemPrompt = prompt.replacingOccurrences(of: "\\n", with: "\n")
                return
            }
        }
        self.defaultSystemPrompt = nil
    }

    /// The conversation as text; `addGenerationPrompt` ends it with an open assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> String {
        var out = ""
        if let system = defaultSystemPrompt, messages.first?.role != "system" {
            out += "<|im_start|>system\n" + system + "<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
