//! The README's "Using the crates" example, built in a workspace of its own: a model of any
//! family from a directory (Hugging Face GPT-2, Llama or Qwen3, the book's `model.pth`, one
//! that `llm` trained) with its tokenizer, or a preset (a fresh model with random weights,
//! seeded) with GPT-2's, and greedy generation.
//!
//! `cargo run -- [MODEL] [PROMPT]` (default: `gpt-config-124m`, "Hello, I am").

use std::error::Error;
use std::path::Path;

use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::generation::{GenerateOptions, generate, strip_stop};
use llm_model::presets::init_preset;
use llm_model::weights::load_language_model;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or_else(|| "gpt-config-124m".into());
    let prompt = args.next().unwrap_or_else(|| "Hello, I am".into());

    let device = Device::flex();
    let dir = Path::new(&model);
    let (model, tokenizer) = if dir.is_dir() {
        (load_language_model(dir, &device)?, Tokenizer::for_model_dir(dir)?)
    } else {
        device.seed(123);
        (init_preset(&model, &device)?, Tokenizer::gpt2())
    };
    let options = GenerateOptions {
        max_new_tokens: 20,
        stop_tokens: tokenizer.end_of_text().into_iter().collect(),
        ..Default::default()
    };
    let ids = strip_stop(generate(&model, &tokenizer.encode(&prompt), &options, |_| {}), &options.stop_tokens);
    println!("{}", tokenizer.decode(&ids));
    Ok(())
}
