#!/usr/bin/env bash
# Creates (idempotently) the Python environment used to make reference fixtures, to check
# exported models with Hugging Face `transformers`, and to run the book's PyTorch code.
# It lives outside the repository: $LLM_VENV, default ~/.cache/llm-rs/venv. When the pinned
# list below changes, an existing environment is updated in place (pip skips what it has).
# pip keeps no cache of the downloads (--no-cache-dir): torch's CUDA wheels would take about
# 3 GB more of the disk beside the environment, for nothing once it is installed.
set -euo pipefail
venv="${LLM_VENV:-$HOME/.cache/llm-rs/venv}"
packages=(torch==2.9.0 transformers==4.57.6 safetensors numpy tiktoken matplotlib pandas openai==3.63.0 sentencepiece==0.2.1 sacrebleu==2.5.1)
book=llms-from-scratch==1.0.19
stamp="$venv/.llm-rs-ready-$(echo "${packages[*]} $book" | sha256sum | cut -c1-12)"
if [[ -f $stamp ]]; then
  echo "python env ready: $venv"
  exit 0
fi
if [[ ! -x $venv/bin/python ]]; then
  echo "creating python env in $venv (torch 2.9.0 with its CUDA wheels: about 7 GB, a few minutes)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --no-cache-dir --progress-bar on --upgrade pip
fi
"$venv/bin/pip" install --no-cache-dir --progress-bar on "${packages[@]}"
# The book's package pins numpy<2.1 and pulls in jupyter and tensorflow; its modules need
# none of that here.
"$venv/bin/pip" install --no-cache-dir --progress-bar on --no-deps "$book"
rm -f "$venv"/.llm-rs-ready-*
touch "$stamp"
echo "python env ready: $venv"
