//! Text generation: samplers over one row of logits, one sequence decoded a step at a time,
//! and the decoding loop.

mod decoding;
mod generate;
mod sampler;

pub use decoding::{Decoding, FinishReason, last_logits, step_together};
pub use generate::{GenerateOptions, generate, strip_stop};
pub use sampler::{Sampler, SamplingConfig, argmax, sample_index, softmax, top_k_filter, top_p_filter};
