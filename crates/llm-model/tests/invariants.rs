//! Properties that need no reference: the KV cache reproduces the full forward pass,
//! attention is causal, parameter counts match the book, and linear layers over folded rows
//! are Burn's batched ones.

mod common;

use burn::module::Module;
use burn::nn::LinearConfig;
use burn::tensor::{Distribution, Tensor};
use common::*;
use llm_model::GptConfig;
use llm_model::generation::{GenerateOptions, SamplingConfig, generate};
use llm_model::rows::on_rows;

fn tiny() -> GptConfig {
    GptConfig {
        vocab_size: 97,
        context_length: 16,
        emb_dim: 32,
        n_heads: 4,
        n_layers: 2,
        dropout: 0.0,
        qkv_bias: true,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    }
}

const TOKENS: [i64; 10] = [5, 17, 3, 88, 42, 42, 0, 96, 11, 7];

#[test]
fn cached_step_by_step_logits_equal_the_full_pass() {
    let device = device();
    let gpt = tiny().init(&device).unwrap();
    let full = to_vec(gpt.forward(ids(&TOKENS, [1, 10], &device))); // [1, 10, 97]

    // A 3-token prefill, then one token at a time.
    let mut cache = gpt.new_cache();
    let mut stepped = to_vec(gpt.forward_cached(ids(&TOKENS[..3], [1, 3], &device), &mut cache));
    for i in 3..10 {
        let step = gpt.forward_cached(ids(&TOKENS[i..i + 1], [1, 1], &device), &mut cache);
        stepped.extend(to_vec(step));
    }
    assert_eq!(cache.len(), 10);
    let err = relative_error(&stepped, &full);
    assert!(err < 1e-5, "cached decoding differs from the full pass by {err:e}");
}

#[test]
fn a_prefix_does_not_see_later_tokens() {
    let device = device();
    let gpt = tiny().init(&device).unwrap();
    let prefix = to_vec(gpt.forward(ids(&TOKENS[..6], [1, 6], &device)));
    let longer = to_vec(gpt.forward(ids(&TOKENS, [1, 10], &device)));
    let err = relative_error(&longer[..prefix.len()], &prefix);
    assert!(err < 1e-5, "appending tokens changed the prefix's logits by {err:e}");
}

#[test]
fn generation_with_and_without_cache_agree_past_the_context() {
    // 30 new tokens from a 10-token prompt crosses the 16-token context: the cached path
    // must fall back to the book's sliding window and still give the same tokens.
    let device = device();
    let gpt = tiny().init(&device).unwrap();
    let prompt: Vec<u32> = TOKENS.iter().map(|&t| t as u32).collect();
    for sampling in [
        SamplingConfig::greedy(),
        SamplingConfig { temperature: 0.8, top_k: Some(20), top_p: Some(0.9) },
    ] {
        let run = |use_cache| {
            let options = GenerateOptions {
                max_new_tokens: 30,
                sampling: sampling.clone(),
                seed: 7,
                stop_tokens: Vec::new(),
                use_cache,
            };
            generate(&gpt, &prompt, &options, |_| {})
        };
        let cached = run(true);
        assert_eq!(cached.len(), 30);
        assert_eq!(cached, run(false), "{sampling:?}");
    }
}

#[test]
fn generation_stops_at_the_stop_token() {
    let device = device();
    let gpt = tiny().init(&device).unwrap();
    let options = GenerateOptions { max_new_tokens: 5, ..Default::default() };
    let free = generate(&gpt, &[1, 2, 3], &options, |_| {});
    let stop = free[1];
    let options = GenerateOptions { stop_tokens: vec![stop], ..options };
    let mut streamed = Vec::new();
    let stopped = generate(&gpt, &[1, 2, 3], &options, |t| streamed.push(t));
    let first = free.iter().position(|&t| t == stop).unwrap();
    assert_eq!(stopped, free[..=first].to_vec());
    assert_eq!(streamed, stopped, "every token is streamed as it is chosen");
}

#[test]
fn module_parameter_counts_match_the_book() {
    let device = device();
    // Chapter 4: 163,009,536 (GPT_CONFIG_124M, separate head); chapter 5: 124,439,808
    // (GPT-2 small, tied, with QKV bias).
    let book = GptConfig::gpt_config_124m().init(&device).unwrap();
    assert_eq!(book.num_params(), 163_009_536);
    let gpt2 = GptConfig::gpt2_small().init(&device).unwrap();
    assert_eq!(gpt2.num_params(), 124_439_808);
    let small = tiny();
    assert_eq!(small.init(&device).unwrap().num_params(), small.num_params());
}

/// `rows::on_rows` runs a `[b, t, d]` linear layer as one `[b·t, d]` product; t = 32 is a
/// length Burn's own `linear` keeps batched (a multiple of its row tile), so the two take
/// different paths. Values and gradients agree to rounding (f32 sums of 96 products in
/// another order: 1e-6 relative leaves two orders of magnitude of room).
#[test]
fn a_linear_layer_over_folded_rows_is_burns_batched_one() {
    let device = device().autodiff();
    let layer = LinearConfig::new(24, 40).init(&device);
    let x = Tensor::<3>::random([3, 32, 24], Distribution::Normal(0.0, 1.0), &device);
    let run = |folded: bool| {
        let y = if folded { on_rows(x.clone(), |x| layer.forward(x)) } else { layer.forward(x.clone()) };
        assert_eq!(y.dims(), [3, 32, 40]);
        // A non-uniform upstream gradient (2y), so that the weight gradient weighs rows.
        let grads = (y.clone() * y.clone()).sum().backward();
        let weight = layer.weight.val().grad(&grads).unwrap().into_data().iter::<f32>().collect::<Vec<_>>();
        let bias = layer.bias.as_ref().unwrap().val().grad(&grads).unwrap();
        (to_vec(y), weight, bias.into_data().iter::<f32>().collect::<Vec<_>>())
    };
    let (batched, folded) = (run(false), run(true));
    assert!(relative_error(&folded.0, &batched.0) < 1e-6, "outputs");
    assert!(relative_error(&folded.1, &batched.1) < 1e-6, "weight gradients");
    assert!(relative_error(&folded.2, &batched.2) < 1e-6, "bias gradients");
}
