//! The same checkpoint on every CPU backend compiled into the tests (flex and ndarray):
//! same logits, and a backward pass gives the same gradients.
//!
//! Tolerance 1e-5 relative: both backends compute in f32 with different kernels (blocked
//! matmul, reductions), a few ULPs apart per operation.

mod common;

use burn::tensor::Device;
use common::*;
use llm_model::loss::cross_entropy;
use llm_model::weights::load_model;

#[allow(deprecated)] // ndarray is deprecated upstream and still supported here
fn backends() -> Vec<(&'static str, Device)> {
    vec![("flex", Device::flex()), ("ndarray", Device::ndarray())]
}

#[test]
fn logits_agree_across_backends() {
    let dir = fixture("hf-untied");
    let r = reference(&dir);
    for (name, device) in backends() {
        let gpt = load_model(&dir, &device).unwrap();
        let logits = to_vec(gpt.forward(ids(&r.input_ids, r.input_shape, &device)));
        let err = relative_error(&logits, &r.logits);
        assert!(err < 1e-5, "{name}: logits differ from transformers' by {err:e}");
    }
}

#[test]
fn gradients_agree_across_backends() {
    let dir = fixture("book");
    let r = reference(&dir);
    let grads: Vec<Vec<f32>> = backends()
        .into_iter()
        .map(|(_, device)| {
            let device = device.autodiff();
            // Dropout is live on an autodiff device and draws differ per backend.
            let gpt = load_model(&dir, &device).unwrap().with_dropout(0.0);
            let [b, t] = r.input_shape;
            let inputs = ids(&r.input_ids, [b, t], &device);
            let loss = cross_entropy(gpt.forward(inputs.clone()), inputs, None);
            let grads = loss.backward();
            let g = gpt.h[0].attn.c_attn.weight.val().grad(&grads).unwrap();
            g.into_data().iter::<f32>().collect()
        })
        .collect();
    let err = relative_error(&grads[1], &grads[0]);
    assert!(err < 1e-5, "c_attn gradients differ by {err:e}");
    assert!(grads[0].iter().any(|g| *g != 0.0));
}
