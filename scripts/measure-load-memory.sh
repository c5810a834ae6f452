#!/usr/bin/env bash
# Peak memory of loading a Llama-3.2-1B-shaped checkpoint (bf16, 2.5 GB on disk, 4.9 GB of
# f32 parameters in memory), against the parameters' own size: issue 25's target is at most
# the in-memory model plus 10 %. The checkpoint is made once by make_llama_1b_checkpoint.py
# (random weights in the published shapes) in $1 (default /tmp/llama-3.2-1b-shaped); $2 is
# the type the weight matrices are kept in (`generate --dtype`: f32, the default, or bf16,
# 2.5 GB in memory).
# Needs the Python environment (scripts/setup-python.sh) and a release build of llm:
#   cargo build --release -p llm-cli --no-default-features --features flex
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/llama-3.2-1b-shaped}"
dtype="${2:-f32}"
case "$dtype" in f32) bytes=4 ;; bf16) bytes=2 ;; *) echo "dtype must be f32 or bf16, got $dtype" >&2; exit 2 ;; esac
python="${LLM_PYTHON:-$HOME/.cache/llm-rs/venv/bin/python}"
if [[ ! -f $dir/model.safetensors ]]; then
  echo "writing the checkpoint to $dir (about a minute)"
  "$python" "$root/scripts/make_llama_1b_checkpoint.py" "$dir"
fi
# Without the tokenizer files of the real model, GPT-2's tokenizer stands in; the published
# generation_config.json names ids beyond its vocabulary, so this directory has none.
rm -f "$dir/generation_config.json"
log="$(mktemp)"
/usr/bin/time -v "$root/target/release/llm" generate --model "$dir" --prompt "Hello" --max-new-tokens 1 --dtype "$dtype" --json 2> "$log" >/dev/null \
  || { cat "$log"; exit 1; }
peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
rm -f "$log"
params=1235814400
awk -v kb="$peak_kb" -v p="$params" -v b="$bytes" -v d="$dtype" 'BEGIN {
  model = p * b; peak = kb * 1024;
  printf "dtype=%s params=%d model_bytes=%.3fGB peak_rss=%.3fGB ratio=%.3f\n", d, p, model / 1e9, peak / 1e9, peak / model
}'
