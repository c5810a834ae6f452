//! The published shapes of Llama 3.2.

use crate::decoder::DecoderConfig;
use crate::rope::{Llama3Scaling, RopeConfig};

/// Llama 3.2 1B (`meta-llama/Llama-3.2-1B`).
pub fn llama_3_2_1b() -> DecoderConfig {
    llama_3_2(2048, 16, 32, 64)
}

/// Llama 3.2 3B (`meta-llama/Llama-3.2-3B`).
pub fn llama_3_2_3b() -> DecoderConfig {
    llama_3_2(3072, 28, 24, 128)
}

fn llama_3_2(emb_dim: usize, n_layers: usize, n_heads: usize, head_dim: usize) -> DecoderConfig {
    DecoderConfig {
        vocab_size: 128_256,
        context_length: 131_072,
        emb_dim,
        n_layers,
        n_heads,
        n_kv_heads: 8,
        head_dim,
        hidden_dim: 8192,
        rms_norm_eps: 1e-5,
        rope: RopeConfig {
            theta: 500_000.0,
            llama3: Some(Llama3Scaling { factor: 32.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_context: 8192 }),
        },
        tie_embeddings: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_sizes() {
        // meta-llama/Llama-3.2-1B and -3B: 1,235,814,400 and 3,212,749,824 parameters.
        assert_eq!(llama_3_2_1b().num_params(), 1_235_814_400);
        assert_eq!(llama_3_2_3b().num_params(), 3_212_749_824);
    }
}
