//! The README's "Using the crates" example, built in a workspace of its own: a model from a
//! directory (Hugging Face GPT-2, the book's `model.pth`, one that `llm` trained) or a
//! preset (a fresh model with random weights, seeded), GPT-2's tokenizer, and greedy
//! generation.
//!
//! `cargo run -- [MODEL] [PROMPT]` (default: `gpt-config-124m`, "Hello, I am").

use std::error::Error;
use std::path::Path;

use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::GptConfig;
use llm_model::generation::{GenerateOptions, generate, strip_stop};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or_else(|| "gpt-config-124m".into());
    let prompt = args.next().unwrap_or_else(|| "Hello, I am".into());

    let device = Device::flex();
    let gpt = if Path::new(&model).is_dir() {
        llm_model::weights::load_model(Path::new(&model), &device)?
    } else {
        device.seed(123);
        GptConfig::preset(&model)?.init(&device)?
    };
    let tokenizer = Tokenizer::gpt2();
    let options = GenerateOptions {
        max_new_tokens: 20,
        stop_token: tokenizer.end_of_text(),
        ..Default::default()
    };
    let ids = strip_stop(generate(&gpt, &tokenizer.encode(&prompt), &options, |_| {}), options.stop_token);
    println!("{}", tokenizer.decode(&ids));
    Ok(())
}
