use burn::tensor::{Int, Tensor, TensorData};
use llm_data::Tokenizer;
use llm_data::instruction::{IGNORE_INDEX, InstructionRecord, PromptTemplate};
use llm_model::CausalModel;
use llm_model::loss::next_token_loss;

/// Mean per-token loss (nats) of the reference outputs and their end-of-text under `model`,
/// each record's prompt given; texts cut to the model's context.
pub fn response_loss(
    model: &(impl CausalModel + ?Sized),
    tokenizer: &Tokenizer,
    template: PromptTemplate,
    records: &[InstructionRecord],
) -> Option<f64> {
    let context = model.context_length();
    let device = model.device();
    let (mut total, mut count) = (0.0, 0usize);
    for record in records {
        let mut ids: Vec<i64> = tokenizer.encode(&template.full_text(record)).into_iter().map(i64::from).collect();
        ids.extend(tokenizer.end_of_text().map(i64::from));
        ids.truncate(context + 1);
        // Everything before the output (prompt and response prefix) is given, not scored.
        let prompt_len = tokenizer.encode(&format!("{}{}", template.prompt(record), template.response_prefix())).len();
        let n = ids.len() - 1;
        let targets: Vec<i64> =
            ids[1..].iter().enumerate().map(|(i, &t)| if i + 1 < prompt_len { IGNORE_INDEX } else { t }).collect();
        let scored = targets.iter().filter(|&&t| t != IGNORE_INDEX).count();
        if scored == 0 {
            continue;
        }
        let inputs = Tensor::<2, Int>::from_data(TensorData::new(ids[..n].to_vec(), [1, n]), &device);
        let targets = Tensor::<2, Int>::from_data(TensorData::new(targets, [1, n]), &device);
        let loss = next_token_loss(model, inputs, targets, Some(IGNORE_INDEX)).into_scalar::<f64>();
        total += loss * scored as f64;
        count += scored;
    }
    (count > 0).then(|| total / count as f64)
}
