"""The book's chapter 5 run with the book's own code (llms-from-scratch 1.0.19), on this
machine, for comparison with `experiments/book-ch05.toml`.

    ~/.cache/llm-rs/venv/bin/python experiments/reference/book_ch05_torch.py ../shared/data [SEED]

It is chapter 5's `main`: GPT_CONFIG_124M at context 256, create_dataloader_v1 (batch 2,
stride 256, 90/10 split, shuffle + drop_last for training), AdamW(lr 4e-4, weight decay 0.1),
train_model_simple for 10 epochs with eval_freq 5 and eval_iter 5, torch.manual_seed(SEED)
(default 123). GPT-2's tokenizer comes from OpenAI's encoder.json/vocab.bpe in the data
directory (tiktoken would download them); it gives tiktoken's ids. Each training step's
batch loss (before its update) is recorded too (`scripts/book_step_losses.py`);
`step_losses` in the output lists them.
"""
import json
import os
import sys
import time

import torch
from transformers import GPT2TokenizerFast
from torch.utils.data import DataLoader
from llms_from_scratch.ch02 import GPTDatasetV1
from llms_from_scratch.ch04 import GPTModel
import llms_from_scratch.ch05 as ch05

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
from book_step_losses import recorded_step_losses  # noqa: E402


class Gpt2:
    """tiktoken's interface over the Hugging Face tokenizer built from OpenAI's files."""

    def __init__(self, data_dir):
        self.tok = GPT2TokenizerFast(
            vocab_file=os.path.join(data_dir, "gpt2/encoder.json"),
            merges_file=os.path.join(data_dir, "gpt2/vocab.bpe"),
        )

    def encode(self, text, allowed_special=None):
        return self.tok.encode(text)

    def decode(self, ids):
        return self.tok.decode(ids)


def main(data_dir, seed=123):
    cfg = {"vocab_size": 50257, "context_length": 256, "emb_dim": 768, "n_heads": 12, "n_layers": 12,
           "drop_rate": 0.1, "qkv_bias": False}
    text = open(os.path.join(data_dir, "the-verdict.txt"), encoding="utf-8").read()
    torch.manual_seed(seed)
    model = GPTModel(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
    split = int(0.90 * len(text))
    tokenizer = Gpt2(data_dir)
    # create_dataloader_v1 with the tokenizer passed in (it builds tiktoken's, which downloads).
    train_loader = DataLoader(GPTDatasetV1(text[:split], tokenizer, 256, 256), batch_size=2, shuffle=True,
                              drop_last=True, num_workers=0)
    val_loader = DataLoader(GPTDatasetV1(text[split:], tokenizer, 256, 256), batch_size=2, shuffle=False,
                            drop_last=False, num_workers=0)
    start = time.time()
    with recorded_step_losses() as step_losses:
        train_losses, val_losses, tokens = ch05.train_model_simple(
            model, train_loader, val_loader, optimizer, "cpu", num_epochs=10, eval_freq=5, eval_iter=5,
            start_context="Every effort moves you", tokenizer=tokenizer)
    wall = time.time() - start
    print(json.dumps({"seed": seed, "threads": torch.get_num_threads(), "wall_s": round(wall, 1),
                      "final_train_loss": train_losses[-1], "final_val_loss": val_losses[-1],
                      "train_losses": train_losses, "val_losses": val_losses, "tokens_seen": tokens,
                      "step_losses": step_losses}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 123)
