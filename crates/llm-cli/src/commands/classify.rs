use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor, TensorData};
use llm_data::Tokenizer;
use llm_data::classification::TextEncoding;
use llm_data::corpus::read_text_file;
use llm_model::weights::load_classifier_dir;

use crate::cli::{ClassifyArgs, GlobalArgs};

/// Texts per forward pass.
const CHUNK: usize = 32;

pub fn run(args: ClassifyArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if let Some(i) = args.text.iter().position(|t| t.trim().is_empty()) {
        anyhow::bail!("--text #{}: the text is empty; give something to classify", i + 1);
    }
    let mut texts = args.text.clone();
    if let Some(file) = &args.file {
        let content = read_text_file(file)?;
        texts.extend(content.lines().filter(|l| !l.trim().is_empty()).map(String::from));
        if texts.is_empty() {
            anyhow::bail!("{}: no texts (one per line expected)", file.display());
        }
    }
    let dir = classifier_dir(&args.model)?;
    let device = super::selected_device(global)?;
    let (model, meta) =
        load_classifier_dir(&dir, &device).with_context(|| format!("cannot load a classifier from {}", dir.display()))?;
    let tokenizer = Tokenizer::for_model_dir(&dir)?;
    let encoding = if model.body.reads_special_tokens() { TextEncoding::ForModel } else { TextEncoding::Plain };
    let mut results = Vec::new();
    for chunk in texts.chunks(CHUNK) {
        // Cut and pad as in training (the book's `classify_review`).
        let mut ids = Vec::with_capacity(chunk.len() * meta.max_length);
        let mut last = Vec::with_capacity(chunk.len());
        for text in chunk {
            let mut tokens = encoding.encode(&tokenizer, text, Some(meta.max_length));
            last.push(tokens.len().max(1) as i64 - 1);
            tokens.resize(meta.max_length, meta.pad_token_id);
            ids.extend(tokens.into_iter().map(i64::from));
        }
        let n = chunk.len();
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [n, meta.max_length]), &device);
        let last = Tensor::<1, Int>::from_data(TensorData::new(last, [n]), &device);
        let probs: Vec<f32> = softmax(model.forward(ids, last), 1).into_data().iter::<f32>().collect();
        for row in probs.chunks(meta.labels.len()) {
            let (class, p) = row.iter().enumerate().fold((0, f32::MIN), |best, (i, &p)| if p > best.1 { (i, p) } else { best });
            results.push((meta.labels[class].clone(), p));
        }
    }
    for (text, (label, p)) in texts.iter().zip(results) {
        if global.json {
            println!("{}", serde_json::json!({"text": text, "label": label, "probability": p}));
        } else {
            println!("label={label} probability={p:.4}");
        }
    }
    Ok(())
}

/// `path` itself, or `path/model` for a run directory.
fn classifier_dir(path: &Path) -> anyhow::Result<PathBuf> {
    if !path.exists() {
        anyhow::bail!("--model {}: no such directory", path.display());
    }
    for dir in [path.to_path_buf(), path.join("model")] {
        if dir.join("classifier.json").is_file() {
            return Ok(dir);
        }
    }
    anyhow::bail!(
        "{}: not a classifier (no classifier.json here or in model/); make one with `llm finetune classify`",
        path.display()
    )
}
