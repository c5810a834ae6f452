use burn::module::Module;
use burn::tensor::Device;
use llm_model::{Gpt, GptClassifier, LoraConfig, Pooling};
use serde::{Deserialize, Serialize};

use crate::config::Trainable;
use crate::error::TrainError;

/// What a checkpoint records about a classifier, to rebuild it before loading weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierState {
    pub labels: Vec<String>,
    pub pooling: Pooling,
    pub trainable: Trainable,
    pub lora: Option<LoraConfig>,
    /// Texts are padded/cut to this many tokens.
    pub max_length: usize,
    pub pad_token_id: u32,
}

/// `gpt` with a fresh class head, its parameters frozen but for the `trainable` part.
pub fn build_classifier(gpt: Gpt, state: &ClassifierState, device: &Device) -> Result<GptClassifier, TrainError> {
    let mut model = GptClassifier::new(gpt, state.labels.len(), state.pooling, device);
    match (state.trainable, &state.lora) {
        (Trainable::All, _) => {}
        (Trainable::Head, _) => model.gpt = model.gpt.no_grad(),
        (Trainable::LastBlock, _) => {
            let mut gpt = model.gpt.no_grad();
            if let Some(last) = gpt.h.pop() {
                gpt.h.push(last.set_require_grad(true));
            }
            gpt.ln_f = gpt.ln_f.set_require_grad(true);
            model.gpt = gpt;
        }
        (Trainable::Lora, Some(lora)) => model = model.with_lora(lora, device),
        (Trainable::Lora, None) => {
            return Err(TrainError::Invalid("classify.trainable = \"lora\" needs a [lora] section (rank, alpha)".into()));
        }
    }
    Ok(model)
}
