//! The settings a configuration type declares, read off the type itself.
//!
//! serde tells a deserializer which fields a struct has (`deserialize_struct` receives their
//! names). Walking a type with a deserializer that answers every question with an empty
//! value and only records those names gives every `section.field` path, so `--set` knows
//! exactly the keys the structs accept, with no list to keep beside them. A struct read as
//! a map (`#[serde(flatten)]`, like `[model]`'s settings) is recorded as an open section.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A setting (number, string, flag, choice, list).
    Value,
    /// A section of known fields.
    Section,
    /// A section whose keys the type does not list (a map).
    Open,
}

/// Every path of a type's settings: `seed`, `optimizer`, `optimizer.lr`, ...
#[derive(Debug, Clone)]
pub struct Fields {
    paths: BTreeMap<String, Kind>,
}

impl Fields {
    /// The settings of `T`.
    pub fn of<T: DeserializeOwned>() -> Self {
        let found = RefCell::new(BTreeMap::new());
        T::deserialize(Tracer { path: String::new(), found: &found }).expect("the tracer answers every question");
        let mut paths = found.into_inner();
        paths.remove("");
        Self { paths }
    }

    /// Settings by name (a configuration whose type also takes any other key, as BERT's and
    /// Marian's `config.json` keep unknown keys: only its own fields are settings).
    pub fn named(names: impl IntoIterator<Item = String>) -> Self {
        Self { paths: names.into_iter().map(|n| (n, Kind::Value)).collect() }
    }

    /// The settings of either (the first's kind where both have a path).
    pub fn union(mut self, other: Fields) -> Self {
        for (path, kind) in other.paths {
            self.paths.entry(path).or_insert(kind);
        }
        self
    }

    /// Whether `path` is a setting `T` accepts: a known field, or any key of an open section.
    pub fn has(&self, path: &str) -> bool {
        match self.paths.get(path) {
            Some(kind) => *kind == Kind::Value,
            None => path.rsplit_once('.').is_some_and(|(section, _)| self.paths.get(section) == Some(&Kind::Open)),
        }
    }

    /// Whether `path` is a section (`schedule`, `model`).
    pub fn is_section(&self, path: &str) -> bool {
        matches!(self.paths.get(path), Some(Kind::Section | Kind::Open))
    }

    /// The names of the settings directly under `section` (`""`: the top level).
    pub fn names(&self, section: &str) -> Vec<String> {
        self.paths
            .keys()
            .filter_map(|path| match section {
                "" => (!path.contains('.')).then(|| path.clone()),
                _ => path.strip_prefix(section)?.strip_prefix('.').filter(|n| !n.contains('.')).map(str::to_string),
            })
            .collect()
    }
}

/// A deserializer that records what it is asked for under `path`.
struct Tracer<'a> {
    path: String,
    found: &'a RefCell<BTreeMap<String, Kind>>,
}

impl Tracer<'_> {
    fn record(&self, kind: Kind) {
        self.found.borrow_mut().insert(self.path.clone(), kind);
    }
}

macro_rules! answer {
    ($($method:ident => $visit:ident($($value:expr)?)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.record(Kind::Value);
            visitor.$visit($($value)?)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Tracer<'_> {
    type Error = Error;

    answer! {
        deserialize_any => visit_unit(),
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0), deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0), deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0), deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0), deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0), deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char(' '),
        deserialize_str => visit_str(""), deserialize_string => visit_str(""),
        deserialize_bytes => visit_bytes(&[]), deserialize_byte_buf => visit_bytes(&[]),
        deserialize_unit => visit_unit(),
        deserialize_identifier => visit_str(""),
        deserialize_ignored_any => visit_unit(),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Some(..), so that the settings of an optional section are traced too.
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Value);
        visitor.visit_seq(de::value::SeqDeserializer::<std::iter::Empty<()>, Error>::new(std::iter::empty()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Open);
        visitor.visit_map(de::value::MapDeserializer::<std::iter::Empty<((), ())>, Error>::new(std::iter::empty()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(Kind::Section);
        visitor.visit_map(StructFields { tracer: self, fields, next: 0 })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(Kind::Value);
        let first: StrDeserializer<'_, Error> = variants[0].into_deserializer();
        visitor.visit_enum(first)
    }
}

/// A struct's fields, each answered by a tracer one level down.
struct StructFields<'a> {
    tracer: Tracer<'a>,
    fields: &'static [&'static str],
    next: usize,
}

impl<'de> de::MapAccess<'de> for StructFields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(field) = self.fields.get(self.next) else {
            return Ok(None);
        };
        let name: StrDeserializer<'_, Error> = field.into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let field = self.fields[self.next];
        self.next += 1;
        let path = match self.tracer.path.as_str() {
            "" => field.to_string(),
            parent => format!("{parent}.{field}"),
        };
        seed.deserialize(Tracer { path, found: self.tracer.found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentConfig;

    #[test]
    fn every_section_and_setting_of_the_experiment_file() {
        let fields = Fields::of::<ExperimentConfig>();
        for path in ["seed", "rng", "optimizer.lr", "schedule.min_lr", "run.checkpoint_every", "classify.trainable", "instruct.template", "dpo.beta", "lora.rank", "data.token_cache"] {
            assert!(fields.has(path), "{path}");
        }
        // `[model]` holds the model config's settings under their own names: open here,
        // checked against the model's config when it is built.
        assert!(fields.has("model.emb_dim") && fields.has("model.anything"));
        for path in ["optimizer", "learning_rate", "optimizer.learning_rate", "run.epochs.x", "model"] {
            assert!(!fields.has(path), "{path}");
        }
        assert!(fields.is_section("schedule") && fields.is_section("model") && !fields.is_section("seed"));
        assert_eq!(fields.names("schedule"), ["initial_lr", "min_lr", "warmup_fraction", "warmup_steps"]);
        assert!(fields.names("").contains(&"optimizer".to_string()));
    }

    #[test]
    fn the_model_configs_fields() {
        let fields = Fields::of::<llm_model::GptConfig>();
        assert_eq!(
            fields.names(""),
            ["context_length", "dropout", "emb_dim", "layer_norm_eps", "n_heads", "n_layers", "qkv_bias", "tie_embeddings", "vocab_size"]
        );
    }
}
