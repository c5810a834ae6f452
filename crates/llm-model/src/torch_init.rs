//! The book's initial weights: what `torch.manual_seed(seed); GPTModel(cfg)` builds with
//! the book's PyTorch code, drawn here without PyTorch.
//!
//! PyTorch's default initialisation is the same distribution as [`GptConfig::init`]'s
//! (embeddings `N(0, 1)`, linear weights and biases uniform in `±1/sqrt(fan_in)`), but
//! drawn from PyTorch's generator in the order the book's modules are constructed, so a
//! seed gives the same numbers here as there, on every backend.

use burn::tensor::Device;

use crate::torch_rng::TorchGenerator;
use crate::weights::{HostTensor, TensorMap, book_to_canonical, from_tensor_map};
use crate::{Gpt, GptConfig, ModelError};

impl GptConfig {
    /// A freshly initialised model with the initial weights the book's `GPTModel(cfg)`
    /// draws from `generator`: with `TorchGenerator::new(seed)`, those of
    /// `torch.manual_seed(seed); GPTModel(cfg)`.
    pub fn init_torch(&self, generator: &mut TorchGenerator, device: &Device) -> Result<Gpt, ModelError> {
        self.validate()?;
        let map = book_to_canonical(self, book_initial_state(self, generator))?;
        from_tensor_map(self, map, device)
    }
}

/// The state dict of the book's `GPTModel(cfg)` right after construction, in the book's
/// names and PyTorch's layouts.
fn book_initial_state(config: &GptConfig, generator: &mut TorchGenerator) -> TensorMap {
    let (d, v) = (config.emb_dim, config.vocab_size);
    let mut draw = Draw { generator, map: TensorMap::new() };
    // Registration order of GPTModel.__init__: tok_emb, pos_emb, trf_blocks, final_norm,
    // out_head; TransformerBlock: att (W_query, W_key, W_value, out_proj), ff, norm1, norm2.
    draw.embedding("tok_emb.weight", v, d);
    draw.embedding("pos_emb.weight", config.context_length, d);
    for i in 0..config.n_layers {
        let b = format!("trf_blocks.{i}");
        for proj in ["W_query", "W_key", "W_value"] {
            draw.linear(&format!("{b}.att.{proj}"), d, d, config.qkv_bias);
        }
        draw.linear(&format!("{b}.att.out_proj"), d, d, true);
        draw.linear(&format!("{b}.ff.layers.0"), d, 4 * d, true);
        draw.linear(&format!("{b}.ff.layers.2"), 4 * d, d, true);
        draw.norm(&format!("{b}.norm1"), d);
        draw.norm(&format!("{b}.norm2"), d);
    }
    draw.norm("final_norm", d);
    if !config.tie_embeddings {
        draw.linear("out_head", d, v, false);
    }
    draw.map
}

struct Draw<'g> {
    generator: &'g mut TorchGenerator,
    map: TensorMap,
}

impl Draw<'_> {
    /// `nn.Embedding`: `normal_(0, 1)`.
    fn embedding(&mut self, name: &str, rows: usize, cols: usize) {
        let mut data = vec![0.0; rows * cols];
        self.generator.fill_normal(&mut data, 0.0, 1.0);
        self.map.insert(name, HostTensor::new(vec![rows, cols], data));
    }

    /// `nn.Linear.reset_parameters`: `kaiming_uniform_(weight, a=sqrt(5))`, then the bias
    /// uniform in `±1/sqrt(fan_in)`; both bounds computed in double precision as PyTorch does.
    fn linear(&mut self, name: &str, d_in: usize, d_out: usize, bias: bool) {
        let fan_in = d_in as f64;
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt();
        let bound = 3f64.sqrt() * (gain / fan_in.sqrt());
        self.uniform(&format!("{name}.weight"), vec![d_out, d_in], bound);
        if bias {
            self.uniform(&format!("{name}.bias"), vec![d_out], 1.0 / fan_in.sqrt());
        }
    }

    fn uniform(&mut self, name: &str, shape: Vec<usize>, bound: f64) {
        let mut data = vec![0.0; shape.iter().product()];
        let bound = bound as f32;
        self.generator.fill_uniform(&mut data, -bound, bound);
        self.map.insert(name, HostTensor::new(shape, data));
    }

    /// The book's LayerNorm: `scale` ones, `shift` zeros (no draw).
    fn norm(&mut self, name: &str, d: usize) {
        self.map.insert(format!("{name}.scale"), HostTensor::new(vec![d], vec![1.0; d]));
        self.map.insert(format!("{name}.shift"), HostTensor::new(vec![d], vec![0.0; d]));
    }
}
