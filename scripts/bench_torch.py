"""The PyTorch side of `cargo xtask bench`: the book's own code (llms-from-scratch 1.0.19)
on the workloads of `llm bench`, printing one JSON line like it.

    python scripts/bench_torch.py --workload train-124m --repeats 5 --threads 2

Workloads (as in `llm bench`):
  train-124m              GPT_CONFIG_124M, context 256, batch 2: forward + backward + AdamW
  train-small             emb 256, 4 layers, 4 heads, context 128, batch 8: the same
  generate-124m-kv        200 greedy tokens after a 10-token prompt, with the book's KV cache
  generate-124m-nocache   the same, recomputing the whole sequence per token
  generate-qwen3-0.6b-kv  Qwen3-0.6B (random weights, kv_cache.qwen3), 64 greedy tokens after
                          a 10-token prompt, timed from the first new token; --dtype float32
                          or bfloat16 (the book's default)
  generate-llama3.2-1b-kv the same with Llama-3.2-1B (kv_cache.llama3)

Notes on the package (1.0.19):
- `llms_from_scratch/kv_cache/gpt2.py` slices its causal mask by columns
  (`mask[:, -num_tokens:]`) where rows are meant, so every cached decode step fails; this
  script patches that one line (`mask[-num_tokens:, :]`) before running it.
- `llms_from_scratch/kv_cache/generate.py` is written for the package's Llama/Qwen models
  (it calls `model.cfg` and `model.reset_kv_cache()`, which the GPT-2 model lacks), so the
  decoding loop below is the book's own `generate_text_simple_cached` (chapter 4 KV-cache
  bonus), written out.
"""
import argparse
import inspect
import json
import resource
import statistics
import sys
import time

import torch

BAD = "causal_mask = causal_mask[:, -num_tokens:][None, None, :, :]"
FIXED = "causal_mask = causal_mask[-num_tokens:, :][None, None, :, :]"

CONFIG_124M = {
    "vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12, "n_layers": 12,
    "drop_rate": 0.1, "qkv_bias": False,
}
SMALL = dict(CONFIG_124M, context_length=128, emb_dim=256, n_heads=4, n_layers=4)
WORKLOADS = {
    # name: (config, batch, context)
    "train-124m": (dict(CONFIG_124M, context_length=256), 2, 256),
    "train-small": (SMALL, 8, 128),
}
PROMPT, NEW_TOKENS = 10, 200
# workload: (module of llms_from_scratch.kv_cache, its model class, its config)
FAMILIES = {
    "generate-qwen3-0.6b-kv": ("qwen3", "Qwen3Model", "QWEN_CONFIG_06_B"),
    "generate-llama3.2-1b-kv": ("llama3", "Llama3Model", "LLAMA32_CONFIG_1B"),
}
FAMILY_NEW_TOKENS = 64


def patched_kv_model():
    import llms_from_scratch.kv_cache.gpt2 as gpt2

    source = inspect.getsource(gpt2)
    if BAD in source:
        exec(compile(source.replace(BAD, FIXED), gpt2.__file__, "exec"), gpt2.__dict__)
    return gpt2.GPTModel


def generate_text_simple_cached(model, idx, max_new_tokens, use_cache=True):
    """The book's greedy decoding with (or without) the KV cache."""
    from llms_from_scratch.kv_cache.utils import KVCache

    model.eval()
    ctx_len = model.pos_emb.num_embeddings
    # The model reads positions from `current_pos` even without the cache (reset_kv_cache).
    model.current_pos = 0
    with torch.no_grad():
        if use_cache:
            cache = KVCache(n_layers=len(model.trf_blocks))
            logits = model(idx[:, -ctx_len:], use_cache=True, cache=cache)
            for _ in range(max_new_tokens):
                next_idx = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_idx], dim=1)
                logits = model(next_idx, use_cache=True, cache=cache)
        else:
            for _ in range(max_new_tokens):
                logits = model(idx[:, -ctx_len:])
                next_idx = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_idx], dim=1)
    return idx


def timed(fn, repeats, warm_up=None):
    """Seconds of each of `repeats` calls, after one warm-up call."""
    (warm_up or fn)()  # not counted
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def train(workload, repeats):
    from llms_from_scratch.ch04 import GPTModel

    cfg, batch, context = WORKLOADS[workload]
    torch.manual_seed(123)
    model = GPTModel(cfg)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    ids = torch.randint(0, cfg["vocab_size"], (batch, context + 1))
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        optimizer.zero_grad()
        logits = model(inputs)
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        loss.backward()
        optimizer.step()

    return [batch * context / t for t in timed(step, repeats)]


def generate(use_cache, repeats):
    GPTModel = patched_kv_model()
    torch.manual_seed(123)
    model = GPTModel(CONFIG_124M).eval()
    prompt = torch.randint(0, 50257, (1, PROMPT))

    def run():
        out = generate_text_simple_cached(model, prompt, NEW_TOKENS, use_cache=use_cache)
        assert out.shape[1] == PROMPT + NEW_TOKENS

    def warm_up():  # a short generation, as on the Rust side
        generate_text_simple_cached(model, prompt, 8, use_cache=use_cache)

    return [NEW_TOKENS / t for t in timed(run, repeats, warm_up)]


def generate_family(workload, dtype, repeats):
    """The book's cached decoding (`kv_cache.generate.generate_text_simple_stream`) of a
    random-weight model: tokens per second from the first new token to the last."""
    import importlib

    from llms_from_scratch.kv_cache.generate import generate_text_simple_stream

    module_name, model_class, config_name = FAMILIES[workload]
    module = importlib.import_module(f"llms_from_scratch.kv_cache.{module_name}")
    cfg = dict(getattr(module, config_name), dtype=getattr(torch, dtype))
    torch.manual_seed(123)
    model = getattr(module, model_class)(cfg).eval()
    prompt = torch.randint(0, cfg["vocab_size"], (1, PROMPT))

    def rate(new_tokens):
        first, count = None, 0
        for _ in generate_text_simple_stream(model, prompt, new_tokens):
            count += 1
            first = first or time.perf_counter()
        assert count == new_tokens, count
        return (count - 1) / (time.perf_counter() - first)

    rate(8)  # warm-up, not counted
    return [rate(FAMILY_NEW_TOKENS) for _ in range(repeats)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", required=True, choices=[*WORKLOADS, "generate-124m-kv", "generate-124m-nocache", *FAMILIES])
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"], help="weights of the family workloads")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.workload in FAMILIES:
        samples = generate_family(args.workload, args.dtype, args.repeats)
    elif args.workload.startswith("train"):
        samples = train(args.workload, args.repeats)
    else:
        samples = generate(args.workload.endswith("-kv"), args.repeats)
    tokens_per_s = statistics.median(samples)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "workload": args.workload, "backend": "torch", "tokens_per_s": round(tokens_per_s, 2),
        "peak_rss_mib": round(peak_mib, 1), "threads": args.threads, "repeats": args.repeats,
        "torch": torch.__version__, "samples": [round(x, 2) for x in samples], "dtype": args.dtype,
    }))


if __name__ == "__main__":
    sys.exit(main())
