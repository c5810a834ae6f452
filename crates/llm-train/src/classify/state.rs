use burn::module::Module;
use burn::tensor::Device;
use llm_model::{Classifier, ClassifierBody, LoraConfig, Pooling};
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

/// `body` with a fresh class head, its parameters frozen but for the `trainable` part.
pub fn build_classifier(body: ClassifierBody, state: &ClassifierState, device: &Device) -> Result<Classifier, TrainError> {
    let mut model = Classifier::new(body, state.labels.len(), state.pooling, device)
        .map_err(|e| TrainError::Invalid(format!("classify.pooling: {e}")))?;
    match (state.trainable, &state.lora) {
        (Trainable::All, _) => {}
        (Trainable::Head, _) => model.body = model.body.no_grad(),
        (Trainable::LastBlock, _) => model.body = model.body.with_last_layer_trainable(),
        (Trainable::Lora, Some(lora)) => model = model.with_lora(lora, device),
        (Trainable::Lora, None) => {
            return Err(TrainError::Invalid("classify.trainable = \"lora\" needs a [lora] section (rank, alpha)".into()));
        }
    }
    Ok(model)
}
