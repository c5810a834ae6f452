"""Writes a Llama-3.2-1B-shaped checkpoint with random weights, as transformers'
save_pretrained writes the published one (bf16, one model.safetensors, tied head): the
input of scripts/measure-load-memory.sh. The real weights cannot be downloaded here; the
shapes, names and element type are what loading costs.
    python scripts/make_llama_1b_checkpoint.py OUT_DIR
Pinned: torch==2.9.0, transformers==4.57.6 (scripts/setup-python.sh)."""
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
config = LlamaConfig(  # meta-llama/Llama-3.2-1B's config.json
    vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
    num_attention_heads=32, num_key_value_heads=8, head_dim=64, max_position_embeddings=131072,
    rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True,
    rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    bos_token_id=128000, eos_token_id=128001, torch_dtype="bfloat16",
)
torch.manual_seed(0)
torch.set_default_dtype(torch.bfloat16)
model = LlamaForCausalLM(config)
params = sum(p.numel() for p in model.parameters())
model.save_pretrained(out, safe_serialization=True, max_shard_size="10GB")
print(f"params={params}")
