/// Datasets: the step-labelled instance types of dprm, readers and writers for the DreamPRM-1.5
/// train/meta/test formats, DreamPRM v1, PRMBench, BIG-Bench-Mistake and JSONL, step splitting and
/// final-answer extraction, tokenizers, the InternVL/Qwen chat template, PNG images with InternVL
/// dynamic tiling, and the built-in arithmetic benchmark generator.
///
/// See `docs/data.md` for the formats and the rules each piece follows.
public enum Datasets {
    /// The system prompt of the DreamPRM-1.5 reference (verbatim from its meta set); used when a
    /// format carries no system turn (PRMBench, BIG-Bench-Mistake, DreamPRM v1, the test format).
    public static let defaultSystemPrompt = """
    You are an advanced AI assistant, designed to serve as a process supervision model. In this task, I will provide a problem statement followed by the first step of the solution process. For each subsequent turn, I will give you a new step in the solution. Your role is to assess whether the solution process is correct up to the current step.

    - In the **first round**, I will input the problem and the first step of the solution process.
    - In **each subsequent round**, I will provide the next step in the solution.

    For each step, you should:
    - Respond with **"+"** if you believe the solution process is correct up to this step.
    - Respond with **"-"** if you detect any issues or errors in the process up to this step.

    Please note:
    - Only respond with **"+"** or **"-"**. Do not provide any additional explanations, comments, or justifications.

    Your task is to verify the accuracy and correctness of each step in the given solution process.
    """
}
