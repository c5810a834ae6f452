//! `llm finetune classify` and `llm classify` end to end on small synthetic data sets:
//! learning, trainable parts and their parameter counts, LoRA saved merged and apart,
//! resume, and bad input.

mod common;

use std::path::Path;

use common::*;

/// A three-class sentiment CSV whose classes a tiny model separates: each text mixes words
/// of its class with neutral ones.
fn write_reviews(path: &Path) {
    let words = [
        ("good", ["great", "lovely", "superb", "fine"]),
        ("bad", ["awful", "poor", "broken", "rude"]),
        ("meh", ["okay", "average", "plain", "usual"]),
    ];
    let neutral = ["the", "food", "was", "and", "service", "room"];
    let mut csv = String::from("id,review,verdict\n");
    for i in 0..180usize {
        let (label, vocab) = &words[i % 3];
        let text: Vec<&str> = (0..4 + i % 5)
            .map(|j| if (i + j) % 2 == 0 { vocab[(i / 3 + j) % 4] } else { neutral[(i + 2 * j) % 6] })
            .collect();
        csv.push_str(&format!("{i},\"{}\",{label}\n", text.join(" ")));
    }
    std::fs::write(path, csv).unwrap();
}

/// The `[model]` table of a tiny GPT in the book's layout.
const TINY_GPT: &str = r#"
preset = "gpt-config-124m"
context_length = 16
emb_dim = 32
n_heads = 2
n_layers = 2
dropout = 0.0
"#;

/// A classification experiment with the network of `model` (a `[model]` table's body).
fn experiment(model: &str) -> String {
    format!(
        r#"
seed = 7
[model]
{model}
[data]
batch_size = 8
[optimizer]
lr = 3e-3
weight_decay = 0.0
[run]
epochs = 6
eval_every = 10
eval_batches = 2
checkpoint_every = 10
[classify]
text_column = "review"
label_column = "verdict"
trainable = "all"
[lora]
rank = 4
alpha = 8
"#
    )
}

struct Run {
    _dir: tempfile::TempDir,
    config: String,
    data: String,
    out: std::path::PathBuf,
}

fn setup() -> Run {
    setup_with(TINY_GPT)
}

fn setup_with(model: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, experiment(model)).unwrap();
    let data = dir.path().join("reviews.csv");
    write_reviews(&data);
    let out = dir.path().join("run");
    Run { config: config.display().to_string(), data: data.display().to_string(), out, _dir: dir }
}

fn finetune(run: &Run, extra: &[&str]) -> String {
    let mut args = vec!["finetune", "classify", "--config", &run.config, "--data-file", &run.data];
    let out = run.out.display().to_string();
    args.extend(["--out", &out, "--overwrite"]);
    args.extend(extra);
    ok(&args)
}

fn metrics(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn learns_a_csv_task_and_labels_new_texts() {
    learns_and_labels(&setup());
}

#[test]
fn llama_and_qwen3_bodies_learn_the_task_and_train_lora_on_all_seven_projections() {
    // d = 32, 2 query heads and 1 key/value head of 16, feed-forward 64, 3 classes. Rank 4
    // adds 4 (d_in + d_out) per projection: q_proj and o_proj 4 (32 + 32), k_proj and v_proj
    // 4 (32 + 16), gate_proj, up_proj and down_proj 4 (32 + 64).
    let lora_layer = 2 * 4 * (32 + 32) + 2 * 4 * (32 + 16) + 3 * 4 * (32 + 64);
    let lora_head = 4 * (32 + 3);
    for (preset, family) in [("llama-3.2-1b", "llama"), ("qwen3-0.6b", "qwen3")] {
        let run = setup_with(&tiny_decoder(preset, 16, 2));
        learns_and_labels(&run);
        let config = std::fs::read_to_string(run.out.join("model/config.json")).unwrap();
        assert!(config.contains(&format!("\"model_type\": \"{family}\"")), "{config}");

        finetune(&run, &["--set", "trainable=lora", "--max-steps", "2", "--merge-lora", "false"]);
        let m = metrics(&run.out);
        assert_eq!(m["trainable_params"].as_u64(), Some((2 * lora_layer + lora_head) as u64), "{preset}");
        let adapters = llm_model::weights::read_safetensors(&run.out.join("model/adapter.safetensors")).unwrap();
        assert_eq!(adapters.len(), 2 * (2 * 7 + 1), "{preset}: A and B of 7 adapters in each of 2 layers, and the head's");
        let model = run.out.display().to_string();
        assert!(ok(&["classify", "--model", &model, "--text", "great food"]).starts_with("label="), "{preset}");
    }
}

/// A BERT encoder of `bert-base-uncased`'s design, tiny and without dropout (its WordPiece
/// tokenizer: [`bert_settings`]).
const TINY_BERT: &str = r#"
preset = "bert-base-uncased"
vocab_size = 600
hidden_size = 32
num_hidden_layers = 2
num_attention_heads = 2
intermediate_size = 64
max_position_embeddings = 32
hidden_dropout_prob = 0.0
attention_probs_dropout_prob = 0.0
"#;

/// What a BERT classifier of `run` needs: a WordPiece tokenizer trained on its data (once,
/// so that every run of the test reads the same ids; `data.tokenizer = "wordpiece"` would
/// train one per run), `[CLS]` pooling, `[PAD]`.
fn bert_settings(run: &Run) -> Vec<String> {
    let tokenizer = llm_data::tokenizer::train_tokenizer(Path::new(&run.data), llm_data::tokenizer::TokenizerKind::WordPiece, 600, false).unwrap();
    let file = run.out.with_file_name("tokenizer.json");
    tokenizer.save(&file).unwrap();
    let settings = [format!("data.tokenizer={}", file.display()), "classify.pooling=cls".into(), "classify.pad_token_id=0".into()];
    settings.into_iter().flat_map(|s| ["--set".to_string(), s]).collect()
}

#[test]
fn a_bert_body_pools_cls_learns_the_task_and_trains_lora_on_all_six_projections() {
    let run = setup_with(TINY_BERT);
    let settings = bert_settings(&run);
    let bert: Vec<&str> = settings.iter().map(String::as_str).collect();
    learns_and_labels_with(&run, &bert);
    let config = std::fs::read_to_string(run.out.join("model/config.json")).unwrap();
    assert!(config.contains("\"model_type\": \"bert\"") && config.contains("BertModel"), "{config}");
    let meta = std::fs::read_to_string(run.out.join("model/classifier.json")).unwrap();
    assert!(meta.contains("\"pooling\": \"cls\""), "{meta}");

    // Rank 4 beside query, key, value and attention output (4 (32 + 32) each), intermediate
    // and output (4 (32 + 64) each), in 2 layers, and the 3-class head's 4 (32 + 3).
    let lora_layer = 4 * 4 * (32 + 32) + 2 * 4 * (32 + 64);
    let lora_head = 4 * (32 + 3);
    let extra = [&bert[..], &["--set", "trainable=lora", "--max-steps", "2", "--merge-lora", "false"]].concat();
    finetune(&run, &extra);
    let m = metrics(&run.out);
    assert_eq!(m["trainable_params"].as_u64(), Some((2 * lora_layer + lora_head) as u64));
    let adapters = llm_model::weights::read_safetensors(&run.out.join("model/adapter.safetensors")).unwrap();
    assert_eq!(adapters.len(), 2 * (2 * 6 + 1), "A and B of 6 adapters in each of 2 layers, and the head's");
    let model = run.out.display().to_string();
    assert!(ok(&["classify", "--model", &model, "--text", "great food"]).starts_with("label="));
    // A resumed BERT classifier (its body rebuilt from the checkpoint's configuration, the
    // pooler and head around it) continues as the uninterrupted run.
    finetune(&run, &[&bert[..], &["--max-steps", "20"]].concat());
    let whole = column(&run.out, "train_loss");
    finetune(&run, &[&bert[..], &["--max-steps", "10"]].concat());
    let out = run.out.display().to_string();
    ok(&["finetune", "classify", "--resume", "--out", &out, "--data-file", &run.data, "--max-steps", "20"]);
    assert_eq!(column(&run.out, "train_loss"), whole, "same losses after resuming at step 10");
    // [CLS] pooling needs BERT's pooler: a GPT body refuses it by name.
    let gpt = setup();
    let err = fails(&["finetune", "classify", "--config", &gpt.config, "--data-file", &gpt.data, "--out", gpt.out.to_str().unwrap(), "--set", "classify.pooling=cls"]);
    assert!(err.contains("classify.pooling") && err.contains("gpt2"), "{err}");
}

/// Trains `run`'s classifier (every weight) and checks its accuracy, files and labels.
fn learns_and_labels(run: &Run) {
    learns_and_labels_with(run, &[]);
}

/// [`learns_and_labels`] with `extra` flags.
fn learns_and_labels_with(run: &Run, extra: &[&str]) {
    let stdout = finetune(run, extra);
    assert!(stdout.contains("test_accuracy="), "{stdout}");
    let m = metrics(&run.out);
    // 180 balanced rows; int(180 * 0.7) is 125 in floating point, as in the book's Python.
    assert_eq!((m["train_examples"].as_u64(), m["val_examples"].as_u64(), m["test_examples"].as_u64()), (Some(125), Some(18), Some(37)));
    for split in ["train_accuracy", "val_accuracy", "test_accuracy"] {
        let acc = m[split].as_f64().unwrap();
        assert!(acc >= 0.9, "{split} = {acc}: the words give the class away");
    }
    assert_eq!(m["trainable_params"], m["total_params"], "trainable = all");
    for file in ["config.toml", "metrics.csv", "accuracy.csv", "loss.png", "model/classifier.json", "model/model.safetensors"] {
        assert!(run.out.join(file).is_file(), "{file}");
    }
    let accuracy = std::fs::read_to_string(run.out.join("accuracy.csv")).unwrap();
    assert_eq!(accuracy.lines().count(), 1 + 6, "a header and one row per epoch");

    let model = run.out.display().to_string();
    let labelled = ok(&["classify", "--model", &model, "--text", "great food", "--text", "awful room"]);
    let lines: Vec<&str> = labelled.lines().collect();
    assert_eq!(lines.len(), 2, "{labelled}");
    for line in lines {
        let (label, p) = line.strip_prefix("label=").unwrap().split_once(" probability=").unwrap();
        assert!(["good", "bad", "meh"].contains(&label), "{line}");
        assert!((1.0 / 3.0..=1.0).contains(&p.parse::<f64>().unwrap()), "{line}");
    }
    // The data's own texts, one per line (with a blank line, skipped), labelled as the
    // data labels them.
    let csv = std::fs::read_to_string(&run.data).unwrap();
    let rows: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .take(30)
        .map(|l| {
            let (text, label) = l.split_once(",\"").unwrap().1.split_once("\",").unwrap();
            (text.to_string(), label.to_string())
        })
        .collect();
    let file = run.out.join("texts.txt");
    let texts: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    std::fs::write(&file, format!("{}\n\n", texts.join("\n"))).unwrap();
    let labelled = ok(&["classify", "--model", &model, "--file", file.to_str().unwrap()]);
    assert_eq!(labelled.lines().count(), 30, "blank lines skipped: {labelled}");
    let right = labelled.lines().zip(&rows).filter(|(line, (_, label))| line.starts_with(&format!("label={label} "))).count();
    assert!(right >= 27, "{right}/30 labelled as in the data:\n{labelled}");
}

#[test]
fn trainable_parts_count_their_parameters() {
    let run = setup();
    // d = 32, 3 classes; the book's layout has no query/key/value bias.
    let head = 32 * 3 + 3;
    let block = (32 * 96) + (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32) + 4 * 32;
    let lora_block = 4 * (32 * 4 + 4 * 32) + (32 * 4 + 4 * 128) + (128 * 4 + 4 * 32);
    let lora_head = 32 * 4 + 4 * 3;
    for (part, expected) in [
        ("head", head),
        ("last-block", head + block + 2 * 32),
        ("lora", 2 * lora_block + lora_head),
    ] {
        finetune(&run, &["--set", &format!("trainable={part}"), "--max-steps", "2"]);
        let m = metrics(&run.out);
        assert_eq!(m["trainable_params"].as_u64(), Some(expected as u64), "{part}");
    }
    assert!(!run.out.join("model/adapter.safetensors").exists(), "merged by default");
    finetune(&run, &["--set", "trainable=lora", "--max-steps", "2", "--merge-lora", "false"]);
    assert!(run.out.join("model/adapter.safetensors").is_file());
    let model = run.out.display().to_string();
    assert!(ok(&["classify", "--model", &model, "--text", "great food"]).starts_with("label="));
}

#[test]
fn resumed_run_matches_an_uninterrupted_one() {
    let run = setup();
    finetune(&run, &["--max-steps", "24"]);
    let whole = column(&run.out, "train_loss");
    assert_eq!(whole.len(), 24);
    finetune(&run, &["--max-steps", "10"]);
    let out = run.out.display().to_string();
    ok(&["finetune", "classify", "--resume", "--out", &out, "--data-file", &run.data, "--max-steps", "24"]);
    assert_eq!(column(&run.out, "train_loss"), whole, "same losses after resuming at step 10");
}

#[test]
fn bad_input_is_named() {
    let run = setup();
    let err = fails(&["finetune", "classify", "--config", &run.config, "--data-file", &run.data, "--text-column", "body", "--out", "/tmp/x"]);
    assert!(err.contains("reviews.csv") && err.contains("no column `body`"), "{err}");
    let err = fails(&["finetune", "classify", "--config", &run.config, "--set", "lora.rank=0", "--out", "/tmp/x"]);
    assert!(err.contains("lora"), "{err}");
    let err = fails(&["classify", "--model", &run.data, "--text", "hi"]);
    assert!(err.contains("not a classifier"), "{err}");
    let labels = run.out.with_file_name("one.csv");
    std::fs::write(&labels, "review,verdict\na,x\nb,x\n").unwrap();
    let err = fails(&["finetune", "classify", "--config", &run.config, "--data-file", labels.to_str().unwrap(), "--out", "/tmp/x"]);
    assert!(err.contains("at least two classes"), "{err}");
}
