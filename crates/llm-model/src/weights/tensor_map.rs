use std::collections::BTreeMap;

use crate::ModelError;

/// A tensor in host memory, `f32`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl HostTensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }

    /// The transpose of a matrix (`nn.Linear`'s `[out, in]` ↔ Conv1D's `[in, out]`).
    pub fn transpose(&self) -> Self {
        let [rows, cols] = [self.shape[0], self.shape[1]];
        let mut data = vec![0.0; self.data.len()];
        for r in 0..rows {
            for c in 0..cols {
                data[c * rows + r] = self.data[r * cols + c];
            }
        }
        Self::new(vec![cols, rows], data)
    }

    /// Matrices placed side by side along their last axis (`[d, a] + [d, b] -> [d, a + b]`),
    /// or vectors end to end.
    pub fn concat_last(parts: &[HostTensor]) -> Self {
        let rows = if parts[0].shape.len() == 2 {
            parts[0].shape[0]
        } else {
            1
        };
        let widths: Vec<usize> = parts.iter().map(|p| p.data.len() / rows).collect();
        let total: usize = widths.iter().sum();
        let mut data = Vec::with_capacity(rows * total);
        for r in 0..rows {
            for (p, w) in parts.iter().zip(&widths) {
                data.extend_from_slice(&p.data[r * w..(r + 1) * w]);
            }
        }
        let shape = if parts[0].shape.len() == 2 {
            vec![rows, total]
        } else {
            vec![total]
        };
        Self::new(shape, data)
    }
}

/// Named tensors read from a checkpoint, taken out one by one with their shapes checked.
#[derive(Debug, Default, Clone)]
pub struct TensorMap {
    tensors: BTreeMap<String, HostTensor>,
}

impl TensorMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, tensor: HostTensor) {
        self.tensors.insert(name.into(), tensor);
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Option<&HostTensor> {
        self.tensors.get(name)
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Removes `name` and checks that it has `shape`.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<HostTensor, ModelError> {
        let tensor = self.take_any(name)?;
        if tensor.shape != shape {
            return Err(ModelError::Shape {
                name: name.to_string(),
                expected: shape.to_vec(),
                found: tensor.shape,
            });
        }
        Ok(tensor)
    }

    /// Removes `name`, whatever its shape; its values must be finite (a NaN or an infinity
    /// in a weight would make every output NaN without a word).
    pub fn take_any(&mut self, name: &str) -> Result<HostTensor, ModelError> {
        let tensor = self.tensors.remove(name).ok_or_else(|| ModelError::MissingTensor {
            name: name.to_string(),
            hint: self.missing_hint(name),
        })?;
        let non_finite = tensor.data.iter().filter(|x| !x.is_finite()).count();
        if non_finite > 0 {
            return Err(ModelError::NonFinite { name: name.to_string(), count: non_finite, len: tensor.data.len() });
        }
        Ok(tensor)
    }

    /// Removes every tensor whose name satisfies `pred` (buffers a format carries but a
    /// model does not need).
    pub fn discard(&mut self, pred: impl Fn(&str) -> bool) {
        self.tensors.retain(|name, _| !pred(name));
    }

    /// Fails if anything was left untaken: a checkpoint with tensors we do not know is not
    /// the model we think it is.
    pub fn finish(self) -> Result<(), ModelError> {
        if self.tensors.is_empty() {
            return Ok(());
        }
        let mut names: Vec<&str> = self.names().take(8).collect();
        if self.tensors.len() > 8 {
            names.push("…");
        }
        Err(ModelError::UnexpectedTensors {
            names: names.join(", "),
        })
    }

    fn missing_hint(&self, name: &str) -> String {
        let leaf = name.rsplit('.').next().unwrap_or(name);
        match self.names().find(|n| n.ends_with(leaf)) {
            Some(similar) => format!(" (the file has e.g. `{similar}`)"),
            None => String::new(),
        }
    }

    pub fn into_iter(self) -> impl Iterator<Item = (String, HostTensor)> {
        self.tensors.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_concat() {
        let a = HostTensor::new(vec![2, 3], vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(a.transpose().data, vec![1., 4., 2., 5., 3., 6.]);
        assert_eq!(a.transpose().shape, vec![3, 2]);
        let b = HostTensor::new(vec![2, 1], vec![7., 8.]);
        let c = HostTensor::concat_last(&[a, b]);
        assert_eq!(c.shape, vec![2, 4]);
        assert_eq!(c.data, vec![1., 2., 3., 7., 4., 5., 6., 8.]);
        let v = HostTensor::concat_last(&[
            HostTensor::new(vec![2], vec![1., 2.]),
            HostTensor::new(vec![1], vec![3.]),
        ]);
        assert_eq!(v.shape, vec![3]);
        assert_eq!(v.data, vec![1., 2., 3.]);
    }

    #[test]
    fn take_checks_shape_and_names() {
        let mut m = TensorMap::new();
        m.insert("h.0.ln_1.weight", HostTensor::new(vec![2], vec![1., 1.]));
        let err = m.clone().take("h.0.ln_1.weight", &[3]).unwrap_err().to_string();
        assert!(err.contains("h.0.ln_1.weight") && err.contains("[3]") && err.contains("[2]"));
        let err = m.clone().take("h.1.ln_1.weight", &[2]).unwrap_err().to_string();
        assert!(err.contains("missing") && err.contains("h.0.ln_1.weight"), "{err}");
        assert!(m.clone().finish().unwrap_err().to_string().contains("h.0.ln_1.weight"));
        m.take("h.0.ln_1.weight", &[2]).unwrap();
        m.finish().unwrap();
    }

    #[test]
    fn take_refuses_non_finite_values() {
        let mut m = TensorMap::new();
        m.insert("wte.weight", HostTensor::new(vec![2, 2], vec![1., f32::NAN, f32::INFINITY, 0.]));
        let err = m.take("wte.weight", &[2, 2]).unwrap_err().to_string();
        assert!(err.contains("`wte.weight`") && err.contains("2 of its 4 values"), "{err}");
    }
}
