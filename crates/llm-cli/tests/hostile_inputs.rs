//! Bad input to every command, as a hostile user gives it: missing, empty, binary and
//! non-UTF-8 files; truncated, zero-length, random, wrong-shape and non-finite checkpoints;
//! malformed configs, JSON, CSV and TOML; impossible settings; unwritable and existing
//! output paths. Each case must end with a non-zero exit status and exactly one `error:`
//! line on stderr that names the problem (the file, key, flag or value), and leave nothing
//! half-written behind: no temporary file, no checkpoint, no model directory.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The bad inputs every case draws from, written once into a temporary directory.
struct Inputs {
    dir: tempfile::TempDir,
    /// A model directory with GPT-2's vocabulary.
    model: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
        write("empty.txt", b"");
        write("binary.txt", &[0, 159, 146, 150, 0, 1]);
        write("latin1.txt", b"caf\xe9 au lait");
        write("one-token.txt", b"Hello");
        write("short.txt", b"Only a few words here, far fewer than a window.");
        write("ids.txt", b"15496 11 -3");
        write("bad.toml", b"[model\npreset = \"gpt2-small\"\n");
        write("typed.toml", include_str!("../../../experiments/default.toml").replace("lr = 3e-3", "lr = \"fast\"").as_bytes());
        write("extra.toml", format!("{}\n[trainer]\nfast = true\n", include_str!("../../../experiments/default.toml")).as_bytes());
        write("bad.json", b"[{\"instruction\": \"Say hi\", \"input\": \"\", \"output\": \"hi\"},");
        write("missing-field.json", b"[{\"instruction\": \"Say hi\", \"input\": \"\"}]");
        write("no-chosen.json", b"[{\"instruction\": \"Say hi\", \"input\": \"\", \"output\": \"hi\", \"rejected\": \"no\"}]");
        write("one-class.csv", format!("label,text\n{}", "ham,hello there\nham,see you soon\nham,on my way\n".repeat(20)).as_bytes());
        write("ragged.csv", b"label,text\nham,hello\nspam\n");
        write("not-a-tokenizer.json", b"{\"hello\": 1}");
        let model = tiny_model_dir();
        Self { dir, model }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn model(&self) -> String {
        self.model.path().display().to_string()
    }

    /// A copy of the small GPT-2 fixture (vocabulary 512) with `damage` done to it.
    fn damaged_model(&self, name: &str, damage: impl FnOnce(&Path)) -> String {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures/hf-tied");
        for file in ["config.json", "model.safetensors"] {
            std::fs::copy(fixture.join(file), dir.join(file)).unwrap();
        }
        damage(&dir);
        dir.display().to_string()
    }

    /// A fresh path under the inputs' directory, for outputs that must not appear.
    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join("out").join(name)
    }
}

/// Runs `args`, which must fail with one error line holding every one of `expected`.
/// A model directory of `llm-model`'s test fixtures.
fn model_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures").join(name).display().to_string()
}

fn refused(args: &[&str], expected: &[&str]) {
    let line = fails(args);
    assert!(line.matches("(os error").count() <= 1, "llm {args:?}: a cause repeated: {line}");
    for part in expected {
        assert!(line.contains(part), "llm {args:?}: the error should name `{part}`: {line}");
    }
}

/// Nothing half-written under `dir`: no temporary file anywhere, and none of `absent`.
fn nothing_half_written(dir: &Path, absent: &[&str]) {
    for name in absent {
        assert!(!dir.join(name).exists(), "{} was left behind", dir.join(name).display());
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.map(Result::unwrap) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp") && !name.starts_with(".tmp-"), "temporary {name} left in {}", dir.display());
            if entry.path().is_dir() {
                nothing_half_written(&entry.path(), &[]);
            }
        }
    }
}

#[test]
fn bad_text_files_and_ids() {
    let i = Inputs::new();
    refused(&["tokenize", "--file", "/no/such/file.txt"], &["/no/such/file.txt", "No such file"]);
    refused(&["tokenize", "--file", &i.path("empty.txt")], &["empty.txt", "empty"]);
    refused(&["tokenize", "--file", &i.path("binary.txt")], &["binary.txt", "binary"]);
    refused(&["tokenize", "--file", &i.path("latin1.txt")], &["latin1.txt", "UTF-8"]);
    refused(&["tokenize", "--tokenizer", &i.path("not-a-tokenizer.json"), "--text", "hi"], &["not-a-tokenizer.json", "tokenizer.json"]);
    refused(&["tokenize", "--tokenizer", "/no/such/dir", "--text", "hi"], &["/no/such/dir"]);
    refused(&["tokenize", "--decode", "--text", "15496 99999999"], &["99999999", "50257"]);
    refused(&["tokenize", "--decode", "--text", "-5"], &["`-5`", "token id"]);
    refused(&["tokenize", "--decode", "--file", &i.path("ids.txt")], &["`-3`", "token id"]);
    refused(&["tokenize", "--decode", "--text", "hello"], &["`hello`", "token id"]);
    refused(&["tokenize", "train", "--file", &i.path("one-token.txt"), "--vocab-size", "10", "--out", &i.path("tok.json")], &["--vocab-size", "257"]);
    refused(&["tokenize", "train", "--file", &i.path("binary.txt"), "--vocab-size", "300", "--out", &i.path("tok.json")], &["binary.txt", "binary"]);
    refused(&["tokenize"], &["--text", "--file"]);
    nothing_half_written(i.dir.path(), &["tok.json"]);
}

#[test]
fn bad_generation_settings() {
    let i = Inputs::new();
    let m = i.model();
    refused(&["generate", "--model", "/no/such/model", "--prompt", "hi"], &["/no/such/model"]);
    refused(&["generate", "--model", "gpt7", "--prompt", "hi"], &["gpt7", "gpt-config-124m"]);
    refused(&["generate", "--model", &m, "--prompt", ""], &["--prompt", "empty"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--temperature", "-1"], &["--temperature", "-1"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--temperature", "inf"], &["--temperature", "inf"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--top-p", "1.5"], &["--top-p", "1.5"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--top-k", "0"], &["--top-k"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--max-new-tokens", "-3"], &["--max-new-tokens", "-3"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--backend", "tpu"], &["tpu", "flex"]);
    refused(&["generate", "--model", &m, "--prompt", "hi", "--backend", "cuda"], &["cuda", "cargo xtask"]);
    refused(&["perplexity", "--model", &m, "--file", &i.path("empty.txt")], &["empty.txt", "empty"]);
    refused(&["perplexity", "--model", &m, "--file", &i.path("one-token.txt")], &["one-token.txt", "at least 2"]);
    refused(&["perplexity", "--model", &m, "--file", &i.path("short.txt"), "--context", "0"], &["--context", "0"]);
    refused(&["perplexity", "--model", &m, "--file", &i.path("short.txt"), "--context", "99999"], &["--context", "99999"]);
    refused(&["perplexity", "--model", &m, "--file", &i.path("short.txt"), "--batch-size", "0"], &["--batch-size"]);
    refused(&["bench", "--workload", "train-small", "--repeats", "0"], &["--repeats"]);
}

#[test]
fn bad_checkpoints() {
    let i = Inputs::new();
    let truncated = i.damaged_model("truncated", |d| {
        let bytes = std::fs::read(d.join("model.safetensors")).unwrap();
        std::fs::write(d.join("model.safetensors"), &bytes[..bytes.len() / 3]).unwrap();
    });
    let empty = i.damaged_model("zero-length", |d| std::fs::write(d.join("model.safetensors"), b"").unwrap());
    let random = i.damaged_model("random", |d| {
        let noise: Vec<u8> = (0..4096u32).map(|x| (x.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(d.join("model.safetensors"), noise).unwrap();
    });
    let shape = i.damaged_model("wrong-shape", |d| {
        let config = std::fs::read_to_string(d.join("config.json")).unwrap().replace("\"n_embd\": 64", "\"n_embd\": 128");
        std::fs::write(d.join("config.json"), config).unwrap();
    });
    let config = i.damaged_model("bad-config", |d| std::fs::write(d.join("config.json"), b"{ not json").unwrap());
    let field = i.damaged_model("config-field", |d| {
        let config = std::fs::read_to_string(d.join("config.json")).unwrap().replace("\"n_layer\": 2,", "");
        std::fs::write(d.join("config.json"), config).unwrap();
    });
    let nan = i.damaged_model("nan", |d| {
        let path = d.join("model.safetensors");
        let mut tensors: Vec<_> = llm_model::weights::read_safetensors(&path).unwrap().into_iter().collect();
        let (_, wte) = tensors.iter_mut().find(|(n, _)| n.ends_with("wte.weight")).unwrap();
        wte.data[7] = f32::NAN;
        llm_model::weights::write_safetensors(&path, &tensors, Default::default()).unwrap();
    });
    let no_model = i.damaged_model("no-weights", |d| std::fs::remove_file(d.join("model.safetensors")).unwrap());
    let cases: [(&str, &[&str]); 8] = [
        (&truncated, &["model.safetensors"]),
        (&empty, &["model.safetensors"]),
        (&random, &["model.safetensors"]),
        (&shape, &["wte.weight", "[512, 128]", "[512, 64]"]),
        (&config, &["config.json"]),
        (&field, &["config.json", "n_layer"]),
        (&nan, &["wte.weight", "not finite"]),
        (&no_model, &["no-weights", "model.safetensors"]),
    ];
    for (dir, expected) in cases {
        refused(&["perplexity", "--model", dir, "--file", &i.path("short.txt")], expected);
        let out = i.out(&format!("convert-{}", Path::new(dir).file_name().unwrap().to_string_lossy()));
        refused(&["convert", "--model", dir, "--out", out.to_str().unwrap()], expected);
        assert!(!out.exists(), "convert of a bad model left {}", out.display());
    }
}

#[test]
fn bad_experiment_files_and_settings() {
    let i = Inputs::new();
    let out = i.out("run");
    let o = out.to_str().unwrap();
    let train = |extra: &[&str], expected: &[&str]| {
        refused(&[&["train", "--out", o, "--max-steps", "1"][..], extra].concat(), expected);
        nothing_half_written(&out, &["checkpoints", "metrics.csv", "model"]);
    };
    train(&["--config", "/no/such.toml"], &["/no/such.toml"]);
    train(&["--config", &i.path("bad.toml")], &["bad.toml"]);
    train(&["--config", &i.path("typed.toml")], &["typed.toml", "lr = \"fast\""]);
    train(&["--config", &i.path("extra.toml")], &["extra.toml", "trainer"]);
    train(&["--set", "learning_rate=1"], &["--set learning_rate", "unknown key"]);
    train(&["--set", "optimizer.learning_rate=1"], &["--set optimizer.learning_rate", "[optimizer] has"]);
    train(&["--set", "lr"], &["--set lr", "key=value"]);
    train(&["--set", "lr=inf"], &["optimizer.lr", "inf"]);
    train(&["--set", "lr=-1"], &["optimizer.lr", "-1"]);
    train(&["--set", "lr=nan"], &["optimizer.lr"]);
    train(&["--set", "weight_decay=-0.1"], &["optimizer.weight_decay"]);
    train(&["--set", "grad_clip=inf"], &["optimizer.grad_clip"]);
    train(&["--set", "optimizer.beta2=1"], &["optimizer.beta2"]);
    train(&["--set", "min_lr=-1"], &["schedule.min_lr"]);
    train(&["--set", "batch_size=0"], &["data.batch_size"]);
    train(&["--set", "context_length=0"], &["context_length"]);
    train(&["--set", "dropout=1.5"], &["dropout", "1.5"]);
    train(&["--set", "model.n_heads=5"], &["n_heads"]);
    train(&["--set", "model.heads=4"], &["model.heads", "n_heads"]);
    train(&["--set", "model.preset=gpt9"], &["model.preset", "gpt9"]);
    train(&["--set", "run.keep_checkpoints=0"], &["run.keep_checkpoints"]);
    train(&["--set", "run.checkpoint_minutes=-1"], &["run.checkpoint_minutes"]);
    train(&["--set", "data.train_ratio=1.5"], &["data.train_ratio"]);
    train(&["--set", "grad_accumulation=0"], &["optimizer.grad_accumulation"]);
    train(&["--data-file", &i.path("empty.txt")], &["empty.txt", "empty"]);
    train(&["--data-file", &i.path("binary.txt")], &["binary.txt", "binary"]);
    train(&["--data-file", &i.path("latin1.txt")], &["latin1.txt", "UTF-8"]);
    train(&["--data-file", &i.path("short.txt")], &["short.txt", "tokens"]);
    train(&["--init-from", i.dir.path().to_str().unwrap()], &[i.dir.path().to_str().unwrap()]);
    train(&["--init-from", &i.model(), "--set", "context_length=4096"], &["context_length = 4096", "32"]);
    train(&["--set", "data.tokenizer=no-such-tokenizer"], &["data.tokenizer", "no-such-tokenizer", "wordpiece"]);
    // A BERT configuration needs BERT's special tokens: GPT-2's tokenizer is refused.
    let bert_small = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/bert-small.toml").display().to_string();
    train(&["--config", &bert_small, "--data-file", &verdict(), "--set", "data.tokenizer=gpt2"], &["[CLS]", "data.tokenizer"]);
    // A Marian directory whose tokenizer is SentencePiece files only.
    let translate_small = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/translate-small.toml").display().to_string();
    train(&["--config", &translate_small, "--data-file", &verdict(), "--init-from", &model_fixture("marian")], &["tokenizer", "</s>"]);
    // The section's dropout on an encoder directory: only its own value is accepted.
    train(&["--init-from", &model_fixture("marian")], &["model.dropout = 0", "dropout", "0.1"]);
    refused(&["train", "--out", o, "--max-steps", "-1"], &["--max-steps", "-1"]);
    refused(&["train", "--resume", "--out", o], &["checkpoints", "no complete checkpoint"]);
    let never = i.out("never-ran");
    refused(&["train", "--resume", "--out", never.to_str().unwrap()], &["never-ran", "config.toml", "not found"]);
    refused(&["train", "--out", "/proc/llm-hostile-run", "--max-steps", "1"], &["/proc/llm-hostile-run"]);
    let file_out = i.path("one-token.txt");
    refused(&["train", "--out", &file_out, "--max-steps", "1"], &["one-token.txt", "not a directory"]);
}

#[test]
fn bad_fine_tuning_data_and_models() {
    let i = Inputs::new();
    let out = i.out("finetune");
    let o = out.to_str().unwrap();
    // The recipes' files set context_length 128; the small model has 32 positions.
    let finetune = |task: &str, extra: &[&str], expected: &[&str]| {
        let fixed = ["finetune", task, "--out", o, "--max-steps", "1", "--set", "context_length=none"];
        refused(&[&fixed[..], extra].concat(), expected);
        nothing_half_written(&out, &["checkpoints", "metrics.csv", "model"]);
    };
    let m = i.model();
    finetune("classify", &["--init-from", &m, "--data-file", &i.path("one-class.csv"), "--text-column", "text", "--label-column", "label"], &["one-class.csv", "class"]);
    finetune("classify", &["--init-from", &m, "--data-file", &i.path("one-class.csv"), "--text-column", "body", "--label-column", "label"], &["body"]);
    finetune("classify", &["--init-from", &m, "--data-file", &i.path("ragged.csv"), "--text-column", "text", "--label-column", "label"], &["ragged.csv"]);
    finetune("classify", &["--init-from", &m, "--data-file", &i.path("binary.txt")], &["binary.txt"]);
    finetune("classify", &["--init-from", &m, "--set", "lora.rank=0", "--set", "trainable=lora"], &["lora"]);
    finetune("instruct", &["--init-from", &m, "--data-file", &i.path("bad.json")], &["bad.json"]);
    finetune("instruct", &["--init-from", &m, "--data-file", &i.path("missing-field.json")], &["missing-field.json", "output"]);
    finetune("dpo", &["--init-from", &m, "--data-file", &i.path("no-chosen.json")], &["no-chosen.json", "chosen"]);
    finetune("dpo", &["--init-from", &m, "--beta", "-1"], &["dpo.beta", "-1"]);
    // An encoder where a decoder is trained, named with what the recipe needs.
    let bert = model_fixture("bert-mlm");
    finetune("instruct", &["--init-from", &bert], &["bert", "decoder language model"]);
    finetune("dpo", &["--init-from", &bert], &["bert", "decoder language model"]);
    refused(&["classify", "--model", "/no/such/classifier", "--text", "hi"], &["/no/such/classifier", "no such directory"]);
    refused(&["classify", "--model", &m, "--text", "hi"], &["not a classifier"]);
    refused(&["classify", "--model", &m, "--text", "fine", "--text", ""], &["--text #2", "empty"]);
    refused(&["eval", "instruct", "--responses", "/no/such/responses.json"], &["/no/such/responses.json"]);
    refused(&["eval", "instruct", "--responses", &i.path("bad.json")], &["bad.json"]);
    refused(&["eval", "instruct", "--responses", &i.path("missing-field.json")], &["missing-field.json"]);
}
