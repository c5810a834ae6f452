//! Classification fine-tuning (chapter 6 and appendix E of the book): a GPT with a class
//! head trained on labelled texts, whole, in part, or through LoRA adapters.

mod accuracy;
mod data;
mod objective;
mod run;
mod state;
mod task;

pub use accuracy::accuracy;
pub use data::{ClassData, load_class_data};
pub use objective::SequenceClassifier;
pub use run::{ClassifySummary, finetune_classify};
pub use state::{ClassifierState, build_classifier};
pub use task::ClassifyTask;
