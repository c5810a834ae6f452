//! The published shapes of Qwen3 (dense).

use crate::decoder::DecoderConfig;
use crate::rope::RopeConfig;

/// Qwen3 0.6B (`Qwen/Qwen3-0.6B`).
pub fn qwen3_0_6b() -> DecoderConfig {
    qwen3(1024, 3072)
}

/// Qwen3 1.7B (`Qwen/Qwen3-1.7B`).
pub fn qwen3_1_7b() -> DecoderConfig {
    qwen3(2048, 6144)
}

fn qwen3(emb_dim: usize, hidden_dim: usize) -> DecoderConfig {
    DecoderConfig {
        vocab_size: 151_936,
        context_length: 40_960,
        emb_dim,
        n_layers: 28,
        n_heads: 16,
        n_kv_heads: 8,
        head_dim: 128,
        hidden_dim,
        rms_norm_eps: 1e-6,
        rope: RopeConfig { theta: 1_000_000.0, llama3: None },
        tie_embeddings: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_sizes() {
        // Qwen/Qwen3-0.6B and -1.7B (tied embeddings), with the q/k norms of every layer.
        let norms = |c: &DecoderConfig| c.n_layers * 2 * c.head_dim;
        assert_eq!(qwen3_0_6b().num_params() + norms(&qwen3_0_6b()), 596_049_920);
        assert_eq!(qwen3_1_7b().num_params() + norms(&qwen3_1_7b()), 1_720_574_976);
    }
}
