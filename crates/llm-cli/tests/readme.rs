//! The README's library example is `examples/downstream/src/main.rs`, which CI builds and
//! runs in a workspace of its own: the two must not drift apart.

use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The code of the README's rust blocks, in order.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_example_is_the_downstream_workspace() {
    let main = read("examples/downstream/src/main.rs");
    // Everything after the file's own doc comment.
    let code: String = main.lines().skip_while(|l| l.starts_with("//!") || l.is_empty()).map(|l| format!("{l}\n")).collect();
    let blocks = rust_blocks(&read("README.md"));
    assert!(blocks.contains(&code), "README.md's rust block differs from examples/downstream/src/main.rs:\n{code}");
    let manifest = read("examples/downstream/Cargo.toml");
    let patched = manifest.lines().any(|l| l.trim_start().starts_with("[patch"));
    assert!(!patched, "the downstream workspace builds against crates.io's Burn, with no [patch]");
}

/// CI builds the downstream workspace with `--locked`: its lock file must already hold every
/// dependency the library crates declare (a crate added to them needs `cargo update
/// --workspace` there). Only resolved (cargo may fetch the crates' manifests), not built.
#[test]
fn the_downstream_lock_file_is_current() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/downstream/Cargo.toml");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--locked", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "examples/downstream/Cargo.lock is out of date (run `cargo update --workspace` in examples/downstream): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README is the user's manual, not the project's diary: under 30 KB (measurement
/// history goes to docs/).
#[test]
fn the_readme_stays_under_30_kb() {
    let size = read("README.md").len();
    assert!(size < 30_000, "README.md is {size} bytes: move history and detail to docs/");
}
