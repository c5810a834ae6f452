use burn::tensor::{Device, Tensor, TensorData};

/// Marian's sinusoidal position embeddings for positions `start..start + len`, `[len, d]`:
/// `sin(p / 10000^(2i/d))` in the first half of each row and `cos` of the same angles in the
/// second (not interleaved, unlike the original transformer's), computed in f64 and
/// rounded to f32 as `transformers` computes its table.
pub fn sinusoidal_positions(start: usize, len: usize, d: usize, device: &Device) -> Tensor<2> {
    let half = d.div_ceil(2);
    let mut values = vec![0f32; len * d];
    for (row, p) in (start..start + len).enumerate() {
        for j in 0..d {
            // Column j of the first half holds the even angle 2j, of the second half the odd
            // angle 2(j - half) + 1; angle a has exponent 2 (a / 2) / d.
            let (angle_index, sine) = if j < half { (2 * j, true) } else { (2 * (j - half) + 1, false) };
            let angle = p as f64 / 10000f64.powf((2 * (angle_index / 2)) as f64 / d as f64);
            values[row * d + j] = if sine { angle.sin() } else { angle.cos() } as f32;
        }
    }
    Tensor::from_data(TensorData::new(values, [len, d]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_half_sines_second_half_cosines() {
        let device = Device::flex();
        let table: Vec<f32> = sinusoidal_positions(0, 3, 4, &device).into_data().iter::<f32>().collect();
        // Position 0: sin 0 = 0, cos 0 = 1.
        assert_eq!(&table[0..4], &[0.0, 0.0, 1.0, 1.0]);
        // Position 2, d = 4: angles 2 and 2 / 100.
        let expected = [2f64.sin(), 0.02f64.sin(), 2f64.cos(), 0.02f64.cos()].map(|x| x as f32);
        assert_eq!(&table[8..12], &expected);
        // A slice starting later equals the same rows of the whole table.
        let later: Vec<f32> = sinusoidal_positions(2, 1, 4, &device).into_data().iter::<f32>().collect();
        assert_eq!(later, &table[8..12]);
    }
}
