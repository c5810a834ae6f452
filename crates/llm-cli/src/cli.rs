use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use llm_model::weights::WeightDtype;

use crate::backend::Backend;

/// Build, run and convert GPT models on Burn.
#[derive(Debug, Parser)]
#[command(name = "llm", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where the model runs: flex, ndarray, wgpu, tch or cuda (must be compiled in;
    /// `cargo xtask` builds the one you name).
    #[arg(long, global = true)]
    pub backend: Option<Backend>,
    /// Data directory (default: $LLM_DATA_DIR, else datasets/cache).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Random seed (default 123; for `train`, the config's).
    #[arg(long, global = true, default_value_t = 123, allow_negative_numbers = true)]
    pub seed: u64,
    #[arg(skip)]
    pub seed_given: bool,
    /// Print machine-readable results as JSON instead of key=value lines.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Text to GPT-2 token ids (or back with --decode); `tokenize train` trains a BPE.
    Tokenize(TokenizeArgs),
    /// Continue a prompt with a model, streamed to stdout.
    Generate(GenerateArgs),
    /// Mean next-token loss and perplexity of a model on a text file.
    Perplexity(PerplexityArgs),
    /// Write any loadable model as a Hugging Face directory of its family (f32 or bf16), with
    /// its tokenizer, chat template and generation settings.
    Convert(ConvertArgs),
    /// Pretrain a GPT on raw text (default: experiments/default.toml on the-verdict).
    Train(TrainArgs),
    /// Fine-tune a model: `finetune classify` (a text classifier, optionally with LoRA).
    Finetune(FinetuneArgs),
    /// Label texts with a classifier that `finetune classify` made.
    Classify(ClassifyArgs),
    /// Score a model's answers: `eval instruct`.
    Eval(EvalArgs),
    /// Time one workload on one backend (what `cargo xtask bench` runs, one process each).
    Bench(BenchArgs),
    /// Serve a model over OpenAI's HTTP API (chat completions, completions, models).
    Serve(ServeArgs),
    /// Chat with a model in the terminal (or one message a line on piped standard input).
    Chat(ChatArgs),
    /// The words a BERT model proposes for each `[MASK]` of a text, most probable first.
    FillMask(FillMaskArgs),
    /// Translate a sentence with an encoder-decoder (Marian) model: greedy, sampled or beam search.
    Translate(TranslateArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A model directory of any family, or a preset name for a fresh model.
    #[arg(long)]
    pub model: PathBuf,
    /// The address to listen on; the default takes connections from this machine only.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port (0: any free one; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Require `Authorization: Bearer KEY` on every request.
    #[arg(long, env = "LLM_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Requests decoded at the same time; more wait in the queue.
    #[arg(long, default_value_t = 8)]
    pub max_batch: usize,
    /// Requests that may wait; beyond them a request gets 503 with Retry-After.
    #[arg(long, default_value_t = 64)]
    pub max_queue: usize,
    /// The weight matrices' type, as for `generate`.
    #[arg(long, default_value = "f32")]
    pub dtype: WeightDtype,
}

#[derive(Debug, Args)]
pub struct FinetuneArgs {
    #[command(subcommand)]
    pub task: FinetuneCommand,
}

#[derive(Debug, Subcommand)]
pub enum FinetuneCommand {
    /// Turn a GPT into a text classifier (default: experiments/spam-offline.toml, the SMS
    /// spam data, a fresh small model trained whole).
    Classify(FinetuneClassifyArgs),
    /// Teach a GPT to follow instructions (default: experiments/alpaca-offline.toml, the
    /// book's instruction data, from the model experiments/tinyshakespeare-small.toml makes).
    Instruct(FinetuneInstructArgs),
    /// Align an instruction-tuned GPT with preference pairs by DPO (default:
    /// experiments/dpo-offline.toml, from the model `finetune instruct` makes).
    Dpo(FinetuneDpoArgs),
}

#[derive(Debug, Args)]
pub struct FinetuneDpoArgs {
    #[command(flatten)]
    pub run: TrainArgs,
    /// DPO's β (sets dpo.beta).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
}

#[derive(Debug, Args)]
pub struct FinetuneInstructArgs {
    #[command(flatten)]
    pub run: TrainArgs,
    /// Prompt format: alpaca (the book's) or phi3 (sets instruct.template).
    #[arg(long)]
    pub template: Option<String>,
    /// Leave the prompt's tokens out of the loss (sets instruct.mask_prompt).
    #[arg(long)]
    pub mask_prompt: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub task: EvalCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Offline metrics of a responses file (`test-responses.json` of `finetune instruct`,
    /// or any JSON of records with `output` and `model_response`): rouge_l, and loss with
    /// --model.
    Instruct(EvalInstructArgs),
}

#[derive(Debug, Args)]
pub struct EvalInstructArgs {
    #[arg(long)]
    pub responses: PathBuf,
    /// Also the mean per-token loss of the reference outputs under this model.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Prompt format the model was trained with (alpaca or phi3).
    #[arg(long, default_value = "alpaca")]
    pub template: String,
    /// Score each response 0–100 with a judge model (the book: llama3 through Ollama):
    /// an Ollama server (`http://localhost:11434`, or its `/api/chat`) or an
    /// OpenAI-compatible one (`.../v1` or `.../v1/chat/completions`).
    #[arg(long, requires = "judge_model")]
    pub judge_url: Option<String>,
    /// The judge's model name (e.g. llama3).
    #[arg(long, requires = "judge_url")]
    pub judge_model: Option<String>,
}

#[derive(Debug, Args)]
pub struct FinetuneClassifyArgs {
    #[command(flatten)]
    pub run: TrainArgs,
    /// The text column of a CSV/TSV data file: a header name, or a 0-based position for a
    /// file without a header (sets classify.text_column).
    #[arg(long)]
    pub text_column: Option<String>,
    /// The label column, as --text-column (sets classify.label_column).
    #[arg(long)]
    pub label_column: Option<String>,
    /// Fold LoRA adapters into the saved weights (default: yes); `false` saves them apart
    /// in adapter.safetensors.
    #[arg(long)]
    pub merge_lora: Option<bool>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A classifier directory (`RUN/model`) or a run directory holding one.
    #[arg(long)]
    pub model: PathBuf,
    /// A text to label (repeatable).
    #[arg(long, required_unless_present = "file", allow_hyphen_values = true)]
    pub text: Vec<String>,
    /// A file with one text per line.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Timed repetitions after one warm-up; the median is reported.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub repeats: usize,
    /// The weight matrices' type for the Qwen3 and Llama decoding workloads: `f32`, or
    /// `bf16` (half the bytes a step reads; activations stay f32).
    #[arg(long, default_value = "f32")]
    pub dtype: WeightDtype,
}

/// The benchmark workloads (the same in `scripts/bench_torch.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// GPT_CONFIG_124M, context 256, batch 2: forward + backward + AdamW.
    #[value(name = "train-124m")]
    Train124m,
    /// emb 256, 4 layers, 4 heads, context 128, batch 8: forward + backward + AdamW.
    #[value(name = "train-small")]
    TrainSmall,
    /// 200 greedy tokens after a 10-token prompt with the KV cache (124M, context 1024).
    #[value(name = "generate-124m-kv")]
    Generate124mKv,
    /// The same without the cache.
    #[value(name = "generate-124m-nocache")]
    Generate124mNocache,
    /// Qwen3-0.6B's shape, random weights: 64 greedy tokens after a 10-token prompt with the
    /// KV cache, timed from the first new token (decoding speed, without the prompt).
    #[value(name = "generate-qwen3-0.6b-kv")]
    GenerateQwen3Kv,
    /// The same with Llama-3.2-1B's shape.
    #[value(name = "generate-llama3.2-1b-kv")]
    GenerateLlama32Kv,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Self::Train124m => "train-124m",
            Self::TrainSmall => "train-small",
            Self::Generate124mKv => "generate-124m-kv",
            Self::GenerateQwen3Kv => "generate-qwen3-0.6b-kv",
            Self::GenerateLlama32Kv => "generate-llama3.2-1b-kv",
            Self::Generate124mNocache => "generate-124m-nocache",
        }
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Experiment file (default: the command's built-in experiment, e.g.
    /// experiments/default.toml for `train`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override a setting: a short key (context_length, batch_size, stride, dropout,
    /// shuffle, lr, weight_decay, grad_clip, grad_accumulation, warmup_steps, min_lr,
    /// eval_every, epochs, max_steps, checkpoint_every, trainable, pooling) or a path
    /// (model.emb_dim, run.keep_checkpoints, lora.rank); KEY=none unsets a setting and
    /// schedule=constant clears the schedule.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run directory (default: runs/NAME, NAME being the config file's name).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Start from a model directory (e.g. GPT-2) instead of a fresh model.
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// Stop after this many optimizer steps.
    #[arg(long, allow_negative_numbers = true)]
    pub max_steps: Option<usize>,
    /// Train on this UTF-8 text file instead of the config's data set.
    #[arg(long)]
    pub data_file: Option<PathBuf>,
    /// Continue the run in --out from its newest complete checkpoint, with the config it
    /// recorded (config.toml there) and any --set/--max-steps on top.
    #[arg(long, conflicts_with_all = ["config", "init_from"])]
    pub resume: bool,
    /// Start afresh in an --out that holds an earlier run, deleting its checkpoints.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TokenizeArgs {
    #[command(subcommand)]
    pub train: Option<TokenizeCommand>,
    /// The text to tokenize (or, with --decode, space-separated ids).
    #[arg(long, conflicts_with = "file", allow_hyphen_values = true)]
    pub text: Option<String>,
    /// A file to tokenize (or, with --decode, holding space-separated ids).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// `gpt2`, a tokenizer.json, or a model directory.
    #[arg(long, default_value = "gpt2")]
    pub tokenizer: String,
    /// Turn ids back into text.
    #[arg(long)]
    pub decode: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenizeCommand {
    /// Train a byte-level BPE on a text file and save it as tokenizer.json.
    Train(TokenizeTrainArgs),
}

#[derive(Debug, Args)]
pub struct TokenizeTrainArgs {
    /// UTF-8 text to train on.
    #[arg(long)]
    pub file: PathBuf,
    /// Vocabulary size (at most, for wordpiece and unigram), including the special tokens
    /// (bpe: the 256 byte tokens and <|endoftext|>).
    #[arg(long, allow_negative_numbers = true)]
    pub vocab_size: usize,
    /// Where to write the tokenizer.json.
    #[arg(long)]
    pub out: PathBuf,
    /// GPT-2's byte-level `bpe`, BERT's `wordpiece` or SentencePiece's `unigram`.
    #[arg(long, default_value = "bpe", value_parser = ["bpe", "wordpiece", "unigram"])]
    pub kind: String,
}

#[derive(Debug, Args)]
pub struct FillMaskArgs {
    /// A BERT directory with a masked-LM head (`BertForMaskedLM`) and its `tokenizer.json`.
    #[arg(long)]
    pub model: PathBuf,
    /// The text, with the tokenizer's mask token (`[MASK]`) where a word is missing.
    #[arg(long, allow_hyphen_values = true)]
    pub text: String,
    /// How many candidates to show for each mask.
    #[arg(long, default_value_t = 5)]
    pub top_k: usize,
}

#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// A Marian directory (`MarianMTModel`) with its tokenizer (`source.spm`, `target.spm`,
    /// `vocab.json`, or a `tokenizer.json`).
    #[arg(long)]
    pub model: PathBuf,
    /// The sentence to translate.
    #[arg(long, allow_hyphen_values = true)]
    pub text: String,
    /// Tokens to generate at most (the end of sequence included), at most the model's
    /// positions (default: 256, or the model's positions if fewer).
    #[arg(long, allow_negative_numbers = true)]
    pub max_new_tokens: Option<usize>,
    /// 0 is greedy decoding; above 0, sampled (one beam only).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub temperature: f32,
    #[arg(long, allow_negative_numbers = true)]
    pub top_k: Option<usize>,
    #[arg(long, allow_negative_numbers = true)]
    pub top_p: Option<f32>,
    /// Beam search with this many beams (default: the directory's generation_config.json
    /// `num_beams`, else 1).
    #[arg(long, allow_negative_numbers = true)]
    pub beams: Option<usize>,
    /// A reference translation: also print `loss=`, its mean cross-entropy (nats) given the
    /// sentence, teacher-forced, with the end of sequence.
    #[arg(long, allow_hyphen_values = true)]
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A model directory (Hugging Face GPT-2, or the book's model.pth + config.json), or a
    /// preset name (gpt2-small, gpt-config-124m, ...) for a fresh untrained model.
    #[arg(long)]
    pub model: PathBuf,
    /// The text to continue; with --chat, the user's message.
    #[arg(long, allow_hyphen_values = true)]
    pub prompt: String,
    /// Render the prompt as a user turn with the model directory's chat template (its
    /// chat_template.jinja or tokenizer_config.json's chat_template) and reply to it.
    #[arg(long)]
    pub chat: bool,
    /// A system message before the user turn (with --chat).
    #[arg(long, requires = "chat", allow_hyphen_values = true)]
    pub system: Option<String>,
    /// A variable for the chat template, as apply_chat_template's keyword arguments (with
    /// --chat): KEY=VALUE, VALUE read as JSON when it is JSON (false, 3), else as text; e.g.
    /// enable_thinking=false for Qwen3, date_string=06 Dec 2026 for Llama 3. Repeatable.
    #[arg(long = "template-var", requires = "chat", value_name = "KEY=VALUE")]
    pub template_vars: Vec<String>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Recompute every step instead of using the KV cache (same output, slower).
    #[arg(long)]
    pub no_cache: bool,
    /// The weight matrices' type while generating: `f32`, or `bf16` (half the memory and
    /// about 1.3x the decoding speed on CPU; a product's input and output are rounded to bf16).
    #[arg(long, default_value = "f32")]
    pub dtype: WeightDtype,
}

/// How `generate` and `chat` choose tokens.
#[derive(Debug, Args)]
pub struct SamplingArgs {
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    pub max_new_tokens: usize,
    /// 0 is greedy decoding.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub temperature: f32,
    #[arg(long, allow_negative_numbers = true)]
    pub top_k: Option<usize>,
    #[arg(long, allow_negative_numbers = true)]
    pub top_p: Option<f32>,
}

impl SamplingArgs {
    /// The sampler's settings, or an error naming the flag out of range.
    pub fn config(&self) -> anyhow::Result<llm_model::generation::SamplingConfig> {
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            anyhow::bail!("--temperature must be 0 (greedy) or positive, got {}", self.temperature);
        }
        if self.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
            anyhow::bail!("--top-p must be in (0, 1], got {}", self.top_p.unwrap_or_default());
        }
        if self.top_k == Some(0) {
            anyhow::bail!("--top-k must be at least 1 (leave it out to sample from every token)");
        }
        Ok(llm_model::generation::SamplingConfig { temperature: self.temperature, top_k: self.top_k, top_p: self.top_p })
    }
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// A model directory of any family (its chat template, or the Alpaca format without
    /// one), or a preset name for a fresh model.
    #[arg(long)]
    pub model: PathBuf,
    /// A system message that starts the conversation (`/system TEXT` changes it).
    #[arg(long, allow_hyphen_values = true)]
    pub system: Option<String>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// The weight matrices' type, as for `generate`.
    #[arg(long, default_value = "f32")]
    pub dtype: WeightDtype,
}

#[derive(Debug, Args)]
pub struct PerplexityArgs {
    /// A model directory, or a preset name for a fresh untrained model.
    #[arg(long)]
    pub model: PathBuf,
    /// UTF-8 text file to score (default: the --dataset from the data directory).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// A data set of datasets/manifest.toml, used when no --file is given.
    #[arg(long, default_value = "the-verdict", conflicts_with = "file")]
    pub dataset: String,
    /// Window length (default and maximum: the model's context length).
    #[arg(long, allow_negative_numbers = true)]
    pub context: Option<usize>,
    /// Windows per forward pass.
    #[arg(long, default_value_t = 4, allow_negative_numbers = true)]
    pub batch_size: usize,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Any loadable model directory (or a preset name for a fresh model).
    #[arg(long)]
    pub model: PathBuf,
    /// The Hugging Face directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// The element type of the written weights: f32 (exact) or bf16 (half the size).
    #[arg(long, default_value = "f32")]
    pub dtype: WeightDtype,
}
