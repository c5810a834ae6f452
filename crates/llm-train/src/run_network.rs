//! The network a recipe trains, as the start of a run builds it: a decoder language model
//! (pretraining, instruction tuning, DPO, classification), a BERT encoder (masked-LM
//! pretraining) or a Marian encoder–decoder (translation). A recipe asks for its kind;
//! a configuration, directory or checkpoint of another kind is refused by name.

use std::path::Path;

use burn::tensor::Device;
use llm_model::marian::Marian;
use llm_model::weights::{
    ModelKind, WeightDtype, load_bert_dir, load_language_model, load_marian_dir, model_kind, save_bert_dir, save_language_model,
    save_marian_dir,
};
use llm_model::{Bert, BertArchitecture, ClassifierBody, LanguageModel, ModelConfig, SharedTorchGenerator};

use crate::error::TrainError;

/// A kind of network a run can start: fresh from a configuration, from a model directory,
/// or rebuilt from a checkpoint's configuration before its weights are loaded.
pub(crate) trait RunNetwork: Sized {
    /// What the recipe trains, for errors ("a decoder language model").
    const WHAT: &'static str;

    /// Whether a configuration or directory of `kind` is this network's.
    fn accepts(kind: ModelKind) -> bool;

    /// A fresh network of `config` (of an accepted kind); with `torch`, the book's GPT
    /// initial weights.
    fn fresh(config: &ModelConfig, device: &Device, torch: Option<&SharedTorchGenerator>) -> Result<Self, TrainError>;

    /// The model of the directory `dir` (of an accepted kind).
    fn load(dir: &Path, device: &Device) -> Result<Self, TrainError>;

    /// The network with the section's `dropout` applied.
    fn with_dropout(self, p: f64) -> Result<Self, TrainError>;

    /// The architecture a checkpoint records.
    fn config(&self) -> ModelConfig;

    /// The longest sequence the network has positions for.
    fn context_length(&self) -> usize;

    /// Saves the network as a Hugging Face directory of its kind (tokenizer files are the
    /// caller's).
    fn save(&self, dir: &Path) -> Result<(), TrainError>;

    /// `config` checked to be of this kind; an error naming `what` (the preset, the
    /// directory or the checkpoint) otherwise.
    fn check_kind(kind: ModelKind, what: &str) -> Result<(), TrainError> {
        match Self::accepts(kind) {
            true => Ok(()),
            false => Err(TrainError::Invalid(format!(
                "{what} is a {} model; this recipe trains {}",
                kind.model_type(),
                Self::WHAT
            ))),
        }
    }

    /// [`RunNetwork::load`] after checking the directory's kind.
    fn load_checked(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        Self::check_kind(model_kind(dir)?, &dir.display().to_string())?;
        Self::load(dir, device)
    }
}

impl RunNetwork for LanguageModel {
    const WHAT: &'static str = "a decoder language model (gpt2, llama, qwen3)";

    fn accepts(kind: ModelKind) -> bool {
        matches!(kind, ModelKind::Decoder(_))
    }

    fn fresh(config: &ModelConfig, device: &Device, torch: Option<&SharedTorchGenerator>) -> Result<Self, TrainError> {
        match (config, torch) {
            (ModelConfig::Gpt2(gpt), Some(generator)) => {
                Ok(LanguageModel::Gpt2(gpt.init_torch(&mut generator.lock().expect("torch generator lock"), device)?))
            }
            (other, Some(_)) => Err(TrainError::Invalid(format!(
                "rng = \"torch\" replays the book's GPT; a {} model draws from Burn's generators (rng = \"burn\")",
                other.kind().model_type()
            ))),
            (model, None) => Ok(model.init(device)?),
        }
    }

    fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        Ok(load_language_model(dir, device)?)
    }

    fn with_dropout(self, p: f64) -> Result<Self, TrainError> {
        Ok(LanguageModel::with_dropout(self, p)?)
    }

    fn config(&self) -> ModelConfig {
        LanguageModel::config(self)
    }

    fn context_length(&self) -> usize {
        llm_model::CausalModel::context_length(self)
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(save_language_model(self, dir)?)
    }
}

impl RunNetwork for Bert {
    const WHAT: &'static str = "a BERT encoder (bert)";

    fn accepts(kind: ModelKind) -> bool {
        kind == ModelKind::Bert
    }

    /// A fresh `BertForMaskedLM` (a classifier's recipe then changes its heads).
    fn fresh(config: &ModelConfig, device: &Device, _torch: Option<&SharedTorchGenerator>) -> Result<Self, TrainError> {
        match config {
            ModelConfig::Bert(c) => Ok(c.init(BertArchitecture::MaskedLm, device)?),
            other => Err(TrainError::Invalid(format!("a {} configuration is not {}", other.kind().model_type(), Self::WHAT))),
        }
    }

    fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        Ok(load_bert_dir(dir, device)?)
    }

    fn with_dropout(self, p: f64) -> Result<Self, TrainError> {
        encoder_dropout(p, self.config().hidden_dropout_prob, "bert", "hidden_dropout_prob").map(|()| self)
    }

    fn config(&self) -> ModelConfig {
        ModelConfig::Bert(Bert::config(self).clone())
    }

    fn context_length(&self) -> usize {
        Bert::config(self).max_position_embeddings
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(save_bert_dir(self, dir, WeightDtype::F32)?)
    }
}

impl RunNetwork for Marian {
    const WHAT: &'static str = "a Marian encoder–decoder (marian)";

    fn accepts(kind: ModelKind) -> bool {
        kind == ModelKind::Marian
    }

    fn fresh(config: &ModelConfig, device: &Device, _torch: Option<&SharedTorchGenerator>) -> Result<Self, TrainError> {
        match config {
            ModelConfig::Marian(c) => Ok(c.init(device)?),
            other => Err(TrainError::Invalid(format!("a {} configuration is not {}", other.kind().model_type(), Self::WHAT))),
        }
    }

    fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        Ok(load_marian_dir(dir, device)?)
    }

    fn with_dropout(self, p: f64) -> Result<Self, TrainError> {
        encoder_dropout(p, self.config().dropout, "marian", "dropout").map(|()| self)
    }

    fn config(&self) -> ModelConfig {
        ModelConfig::Marian(Marian::config(self).clone())
    }

    fn context_length(&self) -> usize {
        Marian::config(self).max_position_embeddings
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(save_marian_dir(self, dir, WeightDtype::F32)?)
    }
}

impl RunNetwork for ClassifierBody {
    const WHAT: &'static str = "a classifier's body: a decoder language model (gpt2, llama, qwen3) or a BERT encoder";

    fn accepts(kind: ModelKind) -> bool {
        LanguageModel::accepts(kind) || Bert::accepts(kind)
    }

    fn fresh(config: &ModelConfig, device: &Device, torch: Option<&SharedTorchGenerator>) -> Result<Self, TrainError> {
        Ok(match config.kind() {
            ModelKind::Bert => Self::Bert(Bert::fresh(config, device, torch)?),
            _ => Self::Decoder(LanguageModel::fresh(config, device, torch)?),
        })
    }

    fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        Ok(ClassifierBody::load(dir, device)?)
    }

    fn with_dropout(self, p: f64) -> Result<Self, TrainError> {
        Ok(match self {
            Self::Decoder(m) => Self::Decoder(RunNetwork::with_dropout(m, p)?),
            Self::Bert(m) => Self::Bert(RunNetwork::with_dropout(m, p)?),
        })
    }

    fn config(&self) -> ModelConfig {
        ClassifierBody::config(self)
    }

    fn context_length(&self) -> usize {
        match self {
            Self::Decoder(m) => RunNetwork::context_length(m),
            Self::Bert(m) => RunNetwork::context_length(m),
        }
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(ClassifierBody::save(self, dir)?)
    }
}

/// The section's `dropout` on a model directory of an encoder, whose dropout is its
/// `config.json`'s `field` (`own`): the same value is accepted, another refused rather than
/// silently ignored.
fn encoder_dropout(p: f64, own: f64, model_type: &str, field: &str) -> Result<(), TrainError> {
    match p == own {
        true => Ok(()),
        false => Err(TrainError::Invalid(format!(
            "model.dropout = {p}: a {model_type} model's dropout is its config.json's `{field}` ({own}); leave model.dropout unset or set it to {own}"
        ))),
    }
}
