//! Which weights of a language model the instruction and preference recipes train.

use burn::module::Module;
use burn::tensor::Device;
use llm_model::lora::trainable_params;
use llm_model::{LanguageModel, LoraConfig};

use crate::config::Trainable;
use crate::error::TrainError;

/// `model` as `trainable` says: every weight (`all`), or every weight frozen and LoRA
/// adapters of rank and alpha `lora` on each attention and feed-forward projection (`lora`).
pub fn trainable_language_model(
    model: LanguageModel,
    trainable: Trainable,
    lora: Option<&LoraConfig>,
    device: &Device,
) -> Result<LanguageModel, TrainError> {
    let model = match (trainable, lora) {
        (Trainable::All, _) => model,
        (Trainable::Lora, Some(lora)) => model.no_grad().with_lora(lora, device),
        (Trainable::Lora, None) => return Err(TrainError::Invalid("trainable = \"lora\" needs a [lora] section (rank, alpha)".into())),
        (other, _) => {
            return Err(TrainError::Invalid(format!("trainable = {other:?}: a language model trains \"all\" its weights or \"lora\" adapters")));
        }
    };
    tracing::info!(trainable = trainable_params(&model), total = model.num_params(), "parameters");
    Ok(model)
}
