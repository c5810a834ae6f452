//! Saving and loading model directories, and the errors bad files get.

mod common;

use common::*;
use llm_model::weights::{load_model, read_safetensors, save_hf_dir};

fn logits_of(dir: &std::path::Path) -> Vec<f32> {
    let device = device();
    let gpt = load_model(dir, &device).unwrap();
    let r = reference(dir);
    to_vec(gpt.forward(ids(&r.input_ids, r.input_shape, &device)))
}

#[test]
fn saved_directories_reload_to_the_same_model() {
    for name in ["hf-tied", "hf-untied", "book"] {
        let src = fixture(name);
        let out = tempfile::tempdir().unwrap();
        let gpt = load_model(&src, &device()).unwrap();
        save_hf_dir(&gpt, out.path()).unwrap();
        std::fs::copy(src.join("reference.safetensors"), out.path().join("reference.safetensors")).unwrap();
        let err = relative_error(&logits_of(out.path()), &logits_of(&src));
        assert!(err < 1e-6, "{name}: logits after save/load differ by {err:e}");
    }
}

#[test]
fn saved_tensors_are_named_and_shaped_as_transformers_writes_them() {
    // hf-untied/model.safetensors was written by transformers' save_pretrained.
    for name in ["hf-untied", "hf-tied"] {
        let src = fixture(name);
        let out = tempfile::tempdir().unwrap();
        save_hf_dir(&load_model(&src, &device()).unwrap(), out.path()).unwrap();
        let theirs = read_safetensors(&src.join("model.safetensors")).unwrap();
        let ours = read_safetensors(&out.path().join("model.safetensors")).unwrap();
        let shapes = |m: &llm_model::weights::TensorMap| -> Vec<(String, Vec<usize>)> {
            m.names().map(|n| (n.to_string(), m.get(n).unwrap().shape.clone())).collect()
        };
        assert_eq!(shapes(&ours), shapes(&theirs), "{name}");
        for n in theirs.names() {
            assert_eq!(ours.get(n).unwrap().data, theirs.get(n).unwrap().data, "{name}: {n}");
        }
    }
}

fn copy_fixture(name: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), out.path().join(entry.file_name())).unwrap();
    }
    out
}

fn load_error(dir: &std::path::Path) -> String {
    load_model(dir, &device()).unwrap_err().to_string()
}

#[test]
fn truncated_weights_name_the_file() {
    let dir = copy_fixture("hf-tied");
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("model.safetensors") && err.contains("safetensors"), "{err}");

    std::fs::write(&path, b"not a safetensors file at all").unwrap();
    assert!(load_error(dir.path()).contains("model.safetensors"));
}

#[test]
fn wrong_shapes_name_the_tensor_and_both_shapes() {
    let dir = copy_fixture("hf-tied");
    // Claim a wider model than the weights hold.
    let path = dir.path().join("config.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"n_embd\": 64", "\"n_embd\": 128");
    std::fs::write(&path, text).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("wte.weight") && err.contains("[512, 128]") && err.contains("[512, 64]"), "{err}");
}

#[test]
fn missing_config_keys_and_files_are_one_line_errors() {
    let dir = copy_fixture("hf-tied");
    let path = dir.path().join("config.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"n_layer\": 2,", "");
    std::fs::write(&path, text).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("config.json") && err.contains("n_layer"), "{err}");
    assert!(!err.contains('\n'));

    let empty = tempfile::tempdir().unwrap();
    let err = load_error(empty.path());
    assert!(err.contains("model.safetensors") && err.contains("model.pth"), "{err}");
    assert!(load_error(&empty.path().join("nope")).contains("not found"));
}

#[test]
fn book_state_dict_errors_name_the_tensor() {
    let dir = copy_fixture("book");
    let path = dir.path().join("config.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"qkv_bias\": false", "\"qkv_bias\": true");
    std::fs::write(&path, text).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("trf_blocks.0.att.W_query.bias") && err.contains("missing"), "{err}");

    std::fs::write(dir.path().join("model.pth"), b"PK\x03\x04 garbage").unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("model.pth"), "{err}");
}

#[test]
fn non_finite_weights_name_the_tensor() {
    let dir = copy_fixture("hf-tied");
    let path = dir.path().join("model.safetensors");
    let mut tensors: Vec<(String, llm_model::weights::HostTensor)> = read_safetensors(&path).unwrap().into_iter().collect();
    let (_, ln) = tensors.iter_mut().find(|(name, _)| name.ends_with("h.1.ln_2.weight")).unwrap();
    ln.data[3] = f32::NAN;
    ln.data[5] = f32::INFINITY;
    llm_model::weights::write_safetensors(&path, &tensors, Default::default()).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("h.1.ln_2.weight") && err.contains("2 of its 64 values are not finite"), "{err}");
}

#[cfg(unix)]
#[test]
fn saved_files_get_the_permissions_of_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let out = tempfile::tempdir().unwrap();
    save_hf_dir(&load_model(&fixture("hf-tied"), &device()).unwrap(), out.path()).unwrap();
    let mode = |file: &str| std::fs::metadata(out.path().join(file)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("model.safetensors"), mode("config.json"), "model.safetensors follows the umask as config.json does");
}
