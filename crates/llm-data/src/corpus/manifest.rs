use serde::Deserialize;

use crate::DataError;

/// The manifest shipped in the binary (`datasets/manifest.toml`).
const MANIFEST: &str = include_str!("../../../../datasets/manifest.toml");

/// One data set: where it lives in the data directory and where it comes from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetEntry {
    pub name: String,
    /// Path relative to the data directory.
    pub file: String,
    pub url: String,
    /// For archives: the member to extract from the zip at `url`.
    #[serde(default)]
    pub member: Option<String>,
    pub sha256: String,
    pub licence: String,
    pub format: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "dataset")]
    pub datasets: Vec<DatasetEntry>,
}

impl Manifest {
    /// The project's manifest.
    pub fn builtin() -> Self {
        Self::parse(MANIFEST).expect("datasets/manifest.toml is valid (checked by a test)")
    }

    pub fn parse(text: &str) -> Result<Self, DataError> {
        toml::from_str(text).map_err(|e| DataError::invalid("datasets/manifest.toml", e.to_string()))
    }

    pub fn get(&self, name: &str) -> Result<&DatasetEntry, DataError> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| DataError::UnknownDataset {
                name: name.to_string(),
                known: self
                    .datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_is_complete() {
        let m = Manifest::builtin();
        assert_eq!(m.datasets.len(), 7);
        for d in &m.datasets {
            assert_eq!(d.sha256.len(), 64, "{}", d.name);
            assert!(d.url.starts_with("https://"), "{}", d.name);
            assert!(!d.licence.is_empty(), "{}", d.name);
        }
        assert_eq!(m.get("the-verdict").unwrap().file, "the-verdict.txt");
        let err = m.get("nope").unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("tinyshakespeare"), "{err}");
    }
}
