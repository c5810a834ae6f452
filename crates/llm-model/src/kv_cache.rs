use burn::tensor::Tensor;

/// Keys and values of one attention layer for the positions already decoded.
#[derive(Debug, Clone, Default)]
pub struct LayerKv {
    kv: Option<(Tensor<4>, Tensor<4>)>,
}

impl LayerKv {
    /// Appends this step's keys and values (`[batch, heads, new, head_dim]`) and returns
    /// all of them (`[batch, heads, past + new, head_dim]`).
    pub fn append(&mut self, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let (k, v) = match self.kv.take() {
            Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
            None => (k, v),
        };
        self.kv = Some((k.clone(), v.clone()));
        (k, v)
    }
}

/// The key/value cache of a whole model, passed explicitly to
/// [`Gpt::forward_cached`](crate::Gpt::forward_cached).
///
/// One cache is one decoding stream; several streams share the same model weights by
/// each holding their own cache.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(crate) layers: Vec<LayerKv>,
    len: usize,
}

impl KvCache {
    /// An empty cache for a model with `n_layers` blocks.
    pub fn new(n_layers: usize) -> Self {
        Self {
            layers: vec![LayerKv::default(); n_layers],
            len: 0,
        }
    }

    /// Number of positions cached so far (the position of the next token).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every cached position.
    pub fn clear(&mut self) {
        let n = self.layers.len();
        *self = Self::new(n);
    }

    pub(crate) fn advance(&mut self, tokens: usize) {
        self.len += tokens;
    }
}
