//! `llm fill-mask`: a BERT model's candidates for the masked words of a text, ranked as
//! `transformers`' fill-mask pipeline ranks them.

use std::path::Path;

use anyhow::Context;
use llm_data::Tokenizer;
use llm_data::tokenizer::TOKENIZER_FILE;
use llm_model::bert::MaskPredictions;
use llm_model::weights::{ModelKind, load_bert_dir, model_kind};
use serde_json::json;

use crate::cli::{FillMaskArgs, GlobalArgs};

pub fn run(args: FillMaskArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.top_k == 0 {
        anyhow::bail!("--top-k: must be at least 1");
    }
    let dir = &args.model;
    if !dir.is_dir() {
        anyhow::bail!("--model {}: no such model directory", dir.display());
    }
    if model_kind(dir)? != ModelKind::Bert {
        anyhow::bail!("--model {}: fill-mask needs a BERT model (model_type `bert`, a BertForMaskedLM)", dir.display());
    }
    let tokenizer_file = dir.join(TOKENIZER_FILE);
    if !tokenizer_file.is_file() {
        anyhow::bail!("{}: missing; a BERT directory carries its WordPiece tokenizer", tokenizer_file.display());
    }
    let tokenizer = Tokenizer::from_file(&tokenizer_file)?;
    let mask = mask_token(dir);
    let mask_id = tokenizer
        .token_id(&mask)
        .with_context(|| format!("{}: the vocabulary has no mask token `{mask}`", tokenizer_file.display()))?;

    let device = super::selected_device(global)?;
    let model = load_bert_dir(dir, &device).with_context(|| format!("cannot load model from {}", dir.display()))?;
    let ids = tokenizer.encode_for_model(&args.text);
    let config = model.config();
    let ids = super::fitting_ids(ids, "--text", config.max_position_embeddings, config.vocab_size)?;
    let top_k = args.top_k.min(config.vocab_size);
    let masks = model.fill_mask(&ids, mask_id, top_k)?;
    if masks.is_empty() {
        anyhow::bail!("--text: no `{mask}` in the text; put it where a word is missing");
    }
    print(&masks, &ids, &tokenizer, masks.len() > 1, global.json);
    Ok(())
}

/// The mask token `tokenizer_config.json` names, else BERT's `[MASK]`.
fn mask_token(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("tokenizer_config.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|config| match &config["mask_token"] {
            serde_json::Value::String(token) => Some(token.clone()),
            serde_json::Value::Object(added) => added.get("content").and_then(|c| c.as_str()).map(str::to_string),
            _ => None,
        })
        .unwrap_or_else(|| "[MASK]".into())
}

/// One line per candidate (`token=... id=... score=...`, under a `mask N (position P)`
/// header when there are several masks), or one JSON object: `{"predictions": [...]}` for
/// one mask, `{"masks": [{"position", "predictions"}, ...]}` for several.
fn print(masks: &[MaskPredictions], ids: &[u32], tokenizer: &Tokenizer, several: bool, json: bool) {
    let predictions = |mask: &MaskPredictions| -> Vec<serde_json::Value> {
        mask.candidates
            .iter()
            .map(|c| {
                let mut filled = ids.to_vec();
                filled[mask.position] = c.id;
                json!({
                    "id": c.id,
                    "token": tokenizer.id_to_token(c.id).unwrap_or_default(),
                    "score": c.probability,
                    "sequence": tokenizer.decode_skipping_special(&filled),
                })
            })
            .collect()
    };
    if json {
        let value = if several {
            json!({ "masks": masks.iter().map(|m| json!({ "position": m.position, "predictions": predictions(m) })).collect::<Vec<_>>() })
        } else {
            json!({ "predictions": predictions(&masks[0]) })
        };
        println!("{value}");
        return;
    }
    for (n, mask) in masks.iter().enumerate() {
        if several {
            println!("mask {} (position {}):", n + 1, mask.position);
        }
        for c in &mask.candidates {
            let token = tokenizer.id_to_token(c.id).unwrap_or_default();
            println!("token={token} id={} score={:.6}", c.id, c.probability);
        }
    }
}
