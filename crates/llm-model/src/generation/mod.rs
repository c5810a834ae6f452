//! Text generation: samplers over one row of logits, and the decoding loop.

mod generate;
mod sampler;

pub use generate::{GenerateOptions, generate, last_logits, strip_stop};
pub use sampler::{Sampler, SamplingConfig, argmax, sample_index, softmax, top_k_filter, top_p_filter};
