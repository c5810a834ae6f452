//! Checkpoints: what resume takes, and that model and AdamW state come back exactly.

use burn::data::dataloader::batcher::Batcher;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use burn::train::TrainStep;
use llm_data::Tokenizer;
use llm_data::dataset::{LmBatch, LmBatcher, LmItem};
use llm_model::{CausalModel, GptConfig, LanguageModel};
use llm_train::CausalLm;
use llm_train::checkpoint::{TrainingState, latest_checkpoint, save_checkpoint, tokenizer_kind};

fn tiny() -> GptConfig {
    GptConfig {
        vocab_size: 40,
        context_length: 8,
        emb_dim: 16,
        n_heads: 2,
        n_layers: 1,
        dropout: 0.0,
        qkv_bias: true,
        tie_embeddings: true,
        layer_norm_eps: 1e-5,
    }
}

fn batch(device: &Device) -> LmBatch {
    let items = (0..3u32)
        .map(|i| {
            let ids: Vec<u32> = (0..9).map(|j| (i * 5 + j * 7) % 40).collect();
            LmItem { input: ids[..8].to_vec(), target: ids[1..].to_vec() }
        })
        .collect();
    LmBatcher.batch(items, device)
}

fn step(model: CausalLm, optim: &mut ModuleOptimizer, batch: &LmBatch) -> CausalLm {
    let out = model.step(batch.clone());
    model.optimize(optim, 1e-2.into(), out.grads)
}

fn values(model: &CausalLm, batch: &LmBatch) -> Vec<f32> {
    let logits: Tensor<3> = model.model.forward(batch.inputs.clone());
    logits.into_data().iter::<f32>().collect()
}

fn state(step: usize) -> TrainingState {
    TrainingState {
        step,
        epoch: 1,
        batches_in_epoch: step,
        tokens_seen: step * 24,
        scheduler_step: step,
        model: llm_model::ModelConfig::Gpt2(tiny()),
        tokenizer: tokenizer_kind(&Tokenizer::gpt2()),
        recipe: None,
        torch_draws: None,
        sha256: Default::default(),
    }
}

#[test]
fn resume_takes_the_newest_complete_checkpoint_and_continues_exactly() {
    let device = Device::flex().autodiff();
    device.seed(1);
    let batch = batch(&device);
    let adamw = || AdamWConfig::new().with_epsilon(1e-8).with_weight_decay(0.1).init();
    let mut optim = adamw();
    let mut model = CausalLm::new(LanguageModel::Gpt2(tiny().init(&device).unwrap()));
    for _ in 0..3 {
        model = step(model, &mut optim, &batch);
    }
    let run = tempfile::tempdir().unwrap();
    let dir = save_checkpoint(run.path(), &state(3), &model, &optim, &Tokenizer::gpt2(), 2).unwrap();
    assert!(dir.ends_with("checkpoints/step-00000003"));

    // What a crash can leave behind: a temporary directory, and a step directory without
    // its state file. Neither is taken.
    let root = run.path().join("checkpoints");
    std::fs::create_dir_all(root.join(".tmp-step-00000009-42")).unwrap();
    std::fs::create_dir_all(root.join("step-00000010")).unwrap();
    // A deletion cut short: an old step directory without its state file.
    std::fs::create_dir_all(root.join("step-00000001")).unwrap();
    std::fs::copy(dir.join("model.bpk"), root.join("step-00000010/model.bpk")).unwrap();
    let found = latest_checkpoint(run.path()).unwrap().unwrap();
    assert_eq!(found.state, TrainingState { sha256: found.state.sha256.clone(), ..state(3) });
    assert_eq!(found.state.sha256.keys().collect::<Vec<_>>(), ["model.bpk", "optimizer.bpk"], "every file's checksum");

    // Continuing the original and continuing the restored copy give the same weights.
    let restored_optim = found.load_optimizer(adamw()).unwrap();
    let restore = || found.load_into(CausalLm::new(found.state.model.init(&device).unwrap())).unwrap();
    let restored = restore();
    assert_eq!(values(&restored, &batch), values(&model, &batch));
    let (mut optim_a, mut optim_b) = (optim, restored_optim);
    let a = step(step(model, &mut optim_a, &batch), &mut optim_a, &batch);
    let b = step(step(restored, &mut optim_b, &batch), &mut optim_b, &batch);
    assert_eq!(values(&a, &batch), values(&b, &batch), "AdamW moments and step counts were restored");

    // A fresh optimizer would not continue the same way (the test can tell).
    let mut fresh = adamw();
    let c = step(restore(), &mut fresh, &batch);
    let c = step(c, &mut fresh, &batch);
    assert_ne!(values(&c, &batch), values(&a, &batch));

    // Saving again keeps the newest two complete checkpoints and clears the temporaries.
    for s in [4, 5] {
        save_checkpoint(run.path(), &state(s), &a, &optim_a, &Tokenizer::gpt2(), 2).unwrap();
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    // The incomplete step 10 neither counts as one of the two nor is taken; the remains of
    // step 1, older than the newest checkpoint, are gone.
    assert_eq!(names, ["step-00000004", "step-00000005", "step-00000010"].map(String::from).to_vec());
    assert_eq!(latest_checkpoint(run.path()).unwrap().unwrap().state.step, 5);
}

#[test]
fn a_damaged_newest_checkpoint_is_skipped_for_the_one_before() {
    let device = Device::flex().autodiff();
    let model = CausalLm::new(LanguageModel::Gpt2(tiny().init(&device).unwrap()));
    let optim = AdamWConfig::new().init();
    let run = tempfile::tempdir().unwrap();
    for s in [2, 4] {
        save_checkpoint(run.path(), &state(s), &model, &optim, &Tokenizer::gpt2(), 2).unwrap();
    }
    let newest = run.path().join("checkpoints/step-00000004");
    for (file, damage) in [("model.bpk", "truncated"), ("optimizer.bpk", "one byte changed")] {
        let path = newest.join(file);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        match damage {
            "truncated" => bad.truncate(bad.len() / 2),
            _ => bad[good.len() / 2] ^= 1,
        }
        std::fs::write(&path, &bad).unwrap();
        let found = latest_checkpoint(run.path()).unwrap().unwrap();
        assert_eq!(found.state.step, 2, "{file} {damage}: the checkpoint before is taken");
        let err = llm_train::checkpoint::Checkpoint::open(&newest).unwrap().verify().unwrap_err().to_string();
        assert!(err.contains(file) && err.contains("sha256"), "{err}");
        std::fs::write(&path, &good).unwrap();
        assert_eq!(latest_checkpoint(run.path()).unwrap().unwrap().state.step, 4, "intact again");
    }
}
