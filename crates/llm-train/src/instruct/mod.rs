//! Instruction fine-tuning (chapter 7 of the book): next-token training on formatted
//! records, answers for the test records, and their offline metrics.

mod data;
mod judge;
mod metrics;
mod responses;
mod rouge;
mod run;

pub use data::{InstructData, load_instruct_data};
pub use judge::{Judge, JudgeApi, JudgeError, parse_score};
pub use metrics::response_loss;
pub use responses::{generate_responses, strip_response};
pub use rouge::rouge_l_f1;
pub use run::{InstructSummary, finetune_instruct};
