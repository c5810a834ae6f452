//! The original transformer (Vaswani et al., 2017), the encoder–decoder of chapter 1, as
//! `transformers`' `MarianMTModel` (the OPUS-MT translation models) has it, with its tensor
//! names; decoding with beam search in [`translate`].

mod attention;
mod config;
mod layers;
mod model;
mod positions;
pub mod translate;
mod weights;

pub(crate) use weights::canonical_marian_tensors;

pub use attention::MarianAttention;
pub use config::{Activation, MarianConfig};
pub use layers::{DecoderLayer, EncoderLayer, FeedForward};
pub use model::{DecoderCache, EncodedSource, Marian};
pub use positions::sinusoidal_positions;
