//! Linear projections, with a faster path for the single-row products of cached decoding.
//!
//! When a KV cache decodes one token, every projection is a vector-matrix product
//! (`[1, d_in] x [d_in, d_out]`). CPU backends hand those to a GEMV kernel that runs on one
//! core (flex: gemm's GEMV path ignores its parallelism setting). Splitting the reduction
//! dimension into [`SPLITS`] blocks turns the product into a batched one
//! (`[S, 1, d_in/S] x [S, d_in/S, d_out]`, the weight reshaped without a copy) whose blocks
//! run in parallel, followed by a sum over `S` rows of `d_out` values. The result is the same
//! product with the additions grouped differently (f32 rounding only). Training and prompt
//! processing (more than one row) take the ordinary path.

use burn::nn::Linear;
use burn::tensor::Tensor;

/// Blocks of the reduction dimension in the single-row path.
pub const SPLITS: usize = 8;

/// Products smaller than this (d_in × d_out) stay on the ordinary path: too little work to
/// share (flex parallelises batched products from 128³ multiply-adds).
const MIN_SPLIT_WORK: usize = 1 << 21;

/// `layer(x)` for `x: [..., d_in]`.
pub fn project<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    let dims = x.dims();
    let rows: usize = dims[..D - 1].iter().product();
    let [d_in, d_out] = layer.weight.dims();
    if rows != 1 || d_in % SPLITS != 0 || d_in * d_out < MIN_SPLIT_WORK {
        return layer.forward(x);
    }
    let out = split_row_product(x.reshape([1, d_in]), layer.weight.val());
    let out = match &layer.bias {
        Some(bias) => out + bias.val().unsqueeze(),
        None => out,
    };
    let mut out_dims = dims;
    out_dims[D - 1] = d_out;
    out.reshape(out_dims)
}

/// `row [1, k] x weight [k, n]` as `SPLITS` partial products summed.
pub fn split_row_product(row: Tensor<2>, weight: Tensor<2>) -> Tensor<2> {
    let [k, n] = weight.dims();
    let part = k / SPLITS;
    let partial = row.reshape([SPLITS, 1, part]).matmul(weight.reshape([SPLITS, part, n])); // [S, 1, n]
    partial.sum_dim(0).reshape([1, n])
}

#[cfg(test)]
mod tests {
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    use super::*;

    #[test]
    fn the_single_row_path_equals_the_layer() {
        let device = crate::Backend::Flex.device().unwrap();
        device.seed(7);
        for bias in [true, false] {
            let layer = LinearConfig::new(768, 3072).with_bias(bias).init(&device);
            let x = Tensor::<3>::random([1, 1, 768], Distribution::Normal(0.0, 1.0), &device);
            let fast: Vec<f32> = project(&layer, x.clone()).into_data().iter::<f32>().collect();
            let plain: Vec<f32> = layer.forward(x).into_data().iter::<f32>().collect();
            let scale = plain.iter().fold(0f32, |m, v| m.max(v.abs()));
            let err = fast.iter().zip(&plain).fold(0f32, |m, (a, b)| m.max((a - b).abs())) / scale;
            // Only the grouping of 768 f32 additions differs.
            assert!(err < 1e-5, "bias {bias}: {err:e}");
        }
    }
}
