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

/// The cache one attention layer reads and extends in a forward pass.
#[derive(Debug)]
pub enum LayerCache<'a> {
    /// One cache for every row of the batch: the rows share their positions.
    Shared(&'a mut LayerKv),
    /// One cache per row, each at its own length: sequences decoded together, one new
    /// token each (see [`CausalModel::hidden_rows`](crate::CausalModel::hidden_rows)).
    PerRow(Vec<&'a mut LayerKv>),
}

/// The caches a whole forward pass reads and extends: none, one for the batch, or one per
/// row. What the families' `hidden` functions take.
#[derive(Debug)]
pub(crate) enum ModelCache<'a, 'b> {
    None,
    Shared(&'a mut KvCache),
    PerRow(&'a mut [&'b mut KvCache]),
}

impl<'a, 'b> ModelCache<'a, 'b> {
    pub(crate) fn from_option(cache: Option<&'a mut KvCache>) -> Self {
        cache.map_or(Self::None, Self::Shared)
    }

    /// The position of each row's first new token: one start for all rows unless the
    /// cache is per row.
    pub(crate) fn starts(&self) -> Vec<usize> {
        match self {
            Self::None => vec![0],
            Self::Shared(cache) => vec![cache.len()],
            Self::PerRow(caches) => caches.iter().map(|c| c.len()).collect(),
        }
    }

    /// Layer `i`'s part of the cache.
    pub(crate) fn layer(&mut self, i: usize) -> Option<LayerCache<'_>> {
        match self {
            Self::None => None,
            Self::Shared(cache) => Some(LayerCache::Shared(&mut cache.layers[i])),
            Self::PerRow(caches) => Some(LayerCache::PerRow(caches.iter_mut().map(|c| &mut c.layers[i]).collect())),
        }
    }

    /// Records that `tokens` new positions per row are cached.
    pub(crate) fn advance(self, tokens: usize) {
        match self {
            Self::None => {}
            Self::Shared(cache) => cache.advance(tokens),
            Self::PerRow(caches) => caches.iter_mut().for_each(|c| c.advance(tokens)),
        }
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
