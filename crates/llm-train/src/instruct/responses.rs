use indicatif::{ProgressBar, ProgressStyle};
use llm_data::Tokenizer;
use llm_data::instruction::{InstructionRecord, PromptTemplate};
use llm_model::CausalModel;
use llm_model::generation::{GenerateOptions, generate, strip_stop};

/// The book's clean-up of a generated answer: the response marker removed, whitespace
/// trimmed.
pub fn strip_response(generated: &str, template: PromptTemplate) -> String {
    generated.replace(template.response_marker(), "").trim().to_string()
}

/// Each record with `model_response`: the model's greedy continuation of the record's
/// prompt (at most `max_new_tokens`, stopping at end-of-text), as the book's chapter 7
/// writes `instruction-data-with-response.json`. Shows a progress bar on stderr.
pub fn generate_responses(
    model: &impl CausalModel,
    tokenizer: &Tokenizer,
    template: PromptTemplate,
    records: &[InstructionRecord],
    max_new_tokens: usize,
) -> Vec<InstructionRecord> {
    let bar = ProgressBar::new(records.len() as u64).with_style(
        ProgressStyle::with_template("responses {bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}]").expect("valid template"),
    );
    let stop: Vec<u32> = tokenizer.end_of_text().into_iter().collect();
    let options = GenerateOptions { max_new_tokens, stop_tokens: stop.clone(), ..Default::default() };
    let answered = records
        .iter()
        .map(|record| {
            let prompt = tokenizer.encode(&template.prompt(record));
            let ids = strip_stop(generate(model, &prompt, &options, |_| {}), &stop);
            let mut out = record.clone();
            let response = strip_response(&tokenizer.decode(&ids), template);
            out.extra.insert("model_response".into(), response.into());
            bar.inc(1);
            out
        })
        .collect();
    bar.finish_and_clear();
    answered
}
