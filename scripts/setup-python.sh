#!/usr/bin/env bash
# Creates (idempotently) the Python environment used to make reference fixtures
# and to check exported models with Hugging Face `transformers`.
# It lives outside the repository: $LLM_VENV, default ~/.cache/llm-rs/venv.
set -euo pipefail
venv="${LLM_VENV:-$HOME/.cache/llm-rs/venv}"
stamp="$venv/.llm-rs-ready-v1"
if [[ -f $stamp ]]; then
  echo "python env ready: $venv"
  exit 0
fi
echo "creating python env in $venv (torch 2.9.0 with its CUDA wheels: about 7 GB, a few minutes)"
python3 -m venv "$venv"
"$venv/bin/pip" install --progress-bar on --upgrade pip
"$venv/bin/pip" install --progress-bar on \
  torch==2.9.0 transformers==4.57.6 safetensors numpy tiktoken
"$venv/bin/pip" install --progress-bar on --no-deps llms-from-scratch==1.0.19
touch "$stamp"
echo "python env ready: $venv"
