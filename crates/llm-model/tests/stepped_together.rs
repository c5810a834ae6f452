//! Sequences decoded together (what the server does with concurrent requests): one forward
//! pass over one new token per sequence, each sequence with its own cache at its own length,
//! gives every sequence the logits and the tokens it gets alone. On the GPT-2, Llama and
//! Qwen3 fixtures that `transformers` wrote, with f32 and bf16 weight matrices.
//!
//! With bf16 weight matrices the logits must be bit for bit those of each sequence alone:
//! flex's bf16 products of up to 64 rows add each row's terms in the order of a single row
//! (`vendor/burn-flex/src/ops/gemv_bf16.rs`), and every other operation works row by row.
//! With f32 weights, products of several rows go to `gemm` or OpenBLAS, which add in another
//! order than the single-row path: tolerance 1e-5 of the largest logit (measured 3e-7); a
//! row reading another row's cache or position is an O(1) error.

mod common;

use burn::tensor::Tensor;
use common::*;
use llm_model::generation::{Decoding, GenerateOptions, SamplingConfig, generate, step_together};
use llm_model::weights::{WeightDtype, load_language_model_as};
use llm_model::{CausalModel, KvCache, LanguageModel};

const FIXTURES: [&str; 3] = ["hf-tied", "llama-tied", "qwen3"];

fn models() -> impl Iterator<Item = (String, LanguageModel)> {
    FIXTURES.into_iter().flat_map(|name| {
        [WeightDtype::F32, WeightDtype::Bf16].map(|dtype| {
            let model = load_language_model_as(&fixture(name), &device(), dtype).unwrap();
            (format!("{name} ({dtype:?})"), model)
        })
    })
}

/// Prompts of different lengths, so the stacked rows sit at different positions.
fn prompts() -> Vec<Vec<u32>> {
    [3usize, 7, 12].iter().map(|&n| (0..n as u32).map(|i| (i * 37 + n as u32) % 100).collect()).collect()
}

fn ids(tokens: &[u32], rows: usize) -> Tensor<2, burn::tensor::Int> {
    let data: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
    common::ids(&data, [rows, tokens.len() / rows], &device())
}

#[test]
fn stacked_rows_get_the_logits_each_gets_alone() {
    for (name, model) in models() {
        let prompts = prompts();
        let prefill = |prompt: &[u32]| {
            let mut cache = model.new_cache();
            model.forward_cached(ids(prompt, 1), &mut cache);
            cache
        };
        let mut alone: Vec<KvCache> = prompts.iter().map(|p| prefill(p)).collect();
        let mut stacked: Vec<KvCache> = prompts.iter().map(|p| prefill(p)).collect();
        let mut worst = 0f32;
        for step in 0..3u32 {
            let next: Vec<u32> = (0..prompts.len() as u32).map(|r| 11 * r + step + 1).collect();
            let mut expected = Vec::new();
            for (cache, &token) in alone.iter_mut().zip(&next) {
                expected.extend(to_vec(model.forward_cached(ids(&[token], 1), cache)));
            }
            let mut caches: Vec<&mut KvCache> = stacked.iter_mut().collect();
            let logits = model.forward_rows(ids(&next, next.len()), &mut caches);
            assert_eq!(logits.dims(), [next.len(), 1, model.vocab_size()], "{name}");
            worst = worst.max(relative_error(&to_vec(logits), &expected));
        }
        for (a, s) in alone.iter().zip(&stacked) {
            assert_eq!(a.len(), s.len(), "{name}: every stacked cache advanced by one position a step");
        }
        println!("{name}: stacked rows within {worst:.2e} of each row alone");
        let tolerance = if name.contains("Bf16") { 0.0 } else { 1e-5 };
        assert!(worst <= tolerance, "{name}: stacked rows differ from each row alone by {worst:e}");
    }
}

#[test]
fn sequences_stepped_together_produce_their_greedy_tokens_alone() {
    for (name, model) in models() {
        let options = |max_new_tokens| GenerateOptions {
            max_new_tokens,
            sampling: SamplingConfig::greedy(),
            ..Default::default()
        };
        // Different lengths and budgets, so sequences leave the batch at different steps; the
        // last one joins after two steps, while the others are decoding.
        let budgets = [6usize, 10, 4, 8];
        let mut prompts = prompts();
        prompts.push(vec![42, 7]);
        let expected: Vec<Vec<u32>> =
            prompts.iter().zip(budgets).map(|(p, n)| generate(&model, p, &options(n), |_| {})).collect();

        let mut running: Vec<Decoding> = prompts[..3].iter().zip(budgets).map(|(p, n)| Decoding::new(&model, p, options(n))).collect();
        for round in 0.. {
            if round == 2 {
                running.push(Decoding::new(&model, &prompts[3], options(budgets[3])));
            }
            let mut refs: Vec<&mut Decoding> = running.iter_mut().collect();
            if step_together(&model, &mut refs).iter().all(Option::is_none) && round > 2 {
                break;
            }
        }
        let generated: Vec<Vec<u32>> = running.iter().map(|d| d.generated().to_vec()).collect();
        assert_eq!(generated, expected, "{name}: tokens stepped together vs alone");
    }
}
