//! The checks a configuration must pass before a run starts; each message names the key.

use super::{ConfigError, ExperimentConfig, Trainable};

impl ExperimentConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let fail = |m: String| Err(ConfigError::Invalid(m));
        self.model.validate()?;
        if self.data.batch_size == 0 {
            return fail("data.batch_size must be at least 1".into());
        }
        if self.data.stride == Some(0) {
            return fail("data.stride must be at least 1".into());
        }
        if !(self.data.train_ratio > 0.0 && self.data.train_ratio < 1.0) {
            return fail(format!("data.train_ratio must be in (0, 1), got {}", self.data.train_ratio));
        }
        let o = &self.optimizer;
        for (key, value, zero_allowed) in [
            ("optimizer.lr", o.lr, false),
            ("optimizer.eps", o.eps, false),
            ("optimizer.weight_decay", o.weight_decay, true),
            ("optimizer.grad_clip", o.grad_clip, true),
        ] {
            if !(value.is_finite() && (value > 0.0 || zero_allowed && value == 0.0)) {
                let expected = if zero_allowed { "a finite number, 0 or more" } else { "a finite number above 0" };
                return fail(format!("{key} must be {expected}, got {value}"));
            }
        }
        for (key, value) in [("optimizer.beta1", o.beta1), ("optimizer.beta2", o.beta2)] {
            if !(0.0..1.0).contains(&value) {
                return fail(format!("{key} must be in [0, 1), got {value}"));
            }
        }
        for (key, value) in [("schedule.initial_lr", self.schedule.initial_lr), ("schedule.min_lr", self.schedule.min_lr)] {
            if let Some(value) = value
                && !(value.is_finite() && value >= 0.0)
            {
                return fail(format!("{key} must be a finite number, 0 or more, got {value}"));
            }
        }
        if self.optimizer.grad_accumulation == 0 {
            return fail("optimizer.grad_accumulation must be at least 1".into());
        }
        if self.run.epochs == 0 {
            return fail("run.epochs must be at least 1".into());
        }
        if self.run.max_steps == Some(0) {
            return fail("run.max_steps must be at least 1".into());
        }
        if self.run.eval_batches == 0 {
            return fail("run.eval_batches must be at least 1".into());
        }
        if !(self.run.checkpoint_minutes.is_finite() && self.run.checkpoint_minutes >= 0.0) {
            return fail(format!("run.checkpoint_minutes must be a finite number, 0 or more, got {}", self.run.checkpoint_minutes));
        }
        if self.run.keep_checkpoints == 0 {
            return fail("run.keep_checkpoints must be at least 1 (a run resumes from its newest checkpoint)".into());
        }
        if let Some(c) = &self.classify {
            let (t, v) = (c.train_fraction, c.validation_fraction);
            if !(t > 0.0 && v > 0.0 && t + v < 1.0) {
                return fail(format!(
                    "classify.train_fraction and validation_fraction must be positive and sum to less than 1 (the test split gets the rest), got {t} and {v}"
                ));
            }
            if c.max_length == Some(0) {
                return fail("classify.max_length must be at least 1".into());
            }
            match (&self.lora, c.trainable) {
                (None, Trainable::Lora) => return fail("classify.trainable = \"lora\" needs a [lora] section (rank, alpha)".into()),
                (Some(l), _) => l.validate().map_err(|e| ConfigError::Invalid(e.to_string()))?,
                _ => {}
            }
        }
        if let Some(d) = &self.dpo
            && !(d.beta.is_finite() && d.beta > 0.0)
        {
            return fail(format!("dpo.beta must be positive, got {}", d.beta));
        }
        let language_model_recipes = [("instruct", self.instruct.as_ref().map(|s| s.trainable)), ("dpo", self.dpo.as_ref().map(|s| s.trainable))];
        for (recipe, trainable) in language_model_recipes {
            match (trainable, &self.lora) {
                (Some(Trainable::Head | Trainable::LastBlock), _) => {
                    return fail(format!("{recipe}.trainable must be \"all\" or \"lora\" (a language model has no class head)"));
                }
                (Some(Trainable::Lora), None) => return fail(format!("{recipe}.trainable = \"lora\" needs a [lora] section (rank, alpha)")),
                (Some(Trainable::Lora), Some(l)) => l.validate().map_err(|e| ConfigError::Invalid(e.to_string()))?,
                _ => {}
            }
        }
        if let Some(f) = self.schedule.warmup_fraction
            && !(0.0..1.0).contains(&f)
        {
            return fail(format!("schedule.warmup_fraction must be in [0, 1), got {f}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::ExperimentConfig;

    /// Every experiment the repository ships reads and validates, and names a model of a
    /// kind that can be built (a preset's configuration, or a directory to start from).
    #[test]
    fn every_shipped_experiment_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let config = ExperimentConfig::load(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if config.model.preset.is_some() {
                config.model_config().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            seen += 1;
        }
        assert!(seen >= 19, "{seen} experiments");
    }

    const BOOK: &str = r#"
seed = 123
[model]
preset = "gpt-config-124m"
context_length = 256
[data]
batch_size = 2
[optimizer]
lr = 4e-4
weight_decay = 0.1
[run]
epochs = 10
eval_every = 5
eval_batches = 5
"#;

    fn parse(sets: &[&str]) -> Result<ExperimentConfig, String> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        ExperimentConfig::parse(BOOK, &sets).map_err(|e| e.to_string())
    }

    fn error(sets: &[&str]) -> String {
        parse(sets).expect_err("the overrides are refused")
    }

    #[test]
    fn parses_with_defaults() {
        let c = parse(&[]).unwrap();
        let llm_model::ModelConfig::Gpt2(m) = c.model_config().unwrap() else { panic!("a GPT-2 preset") };
        assert_eq!((m.emb_dim, m.context_length, m.qkv_bias), (768, 256, false));
        assert_eq!((c.optimizer.eps, c.optimizer.beta2), (1e-8, 0.999));
        assert_eq!(c.data.dataset, "the-verdict");
        assert_eq!(c.run.sample_prompt, "Every effort moves you");
    }

    #[test]
    fn set_overrides_short_and_full_keys() {
        let c = parse(&["context_length=64", "dropout=0", "shuffle=false", "lr=1e-3", "grad_clip=1.0", "model.n_layers=2", "data.file=x.txt", "run.sample_prompt=Hello there"]).unwrap();
        let llm_model::ModelConfig::Gpt2(m) = c.model_config().unwrap() else { panic!("a GPT-2 preset") };
        assert_eq!((m.context_length, m.dropout, m.n_layers), (64, 0.0, 2));
        assert!(!c.data.shuffle);
        assert_eq!((c.optimizer.lr, c.optimizer.grad_clip), (1e-3, 1.0));
        assert_eq!(c.data.file.as_deref(), Some("x.txt"));
        assert_eq!(c.run.sample_prompt, "Hello there");
        let warm = "[schedule]\nwarmup_fraction = 0.2\nmin_lr = 1e-5\n";
        let c = ExperimentConfig::parse(&format!("{BOOK}{warm}"), &["warmup_steps=0".into()]).unwrap();
        assert_eq!((c.schedule.warmup_steps, c.schedule.warmup_fraction), (0, None));
    }

    #[test]
    fn a_schedule_can_be_unset() {
        let warm = format!("{BOOK}[schedule]\nwarmup_steps = 10\nmin_lr = 1e-5\n");
        let c = ExperimentConfig::parse(&warm, &["min_lr=none".into()]).unwrap();
        assert_eq!((c.schedule.warmup_steps, c.schedule.min_lr), (10, None), "only the decay is gone");
        let c = ExperimentConfig::parse(&warm, &["schedule=constant".into()]).unwrap();
        assert_eq!(c.schedule, Default::default(), "a constant rate");
        let c = ExperimentConfig::parse(&warm, &["dropout=none".into(), "model.context_length=none".into()]).unwrap();
        assert_eq!(c.model_config().unwrap().context_length(), 1024, "the preset's own context");
    }

    #[test]
    fn bad_input_is_named() {
        let err = error(&["learning_rate=1"]);
        assert!(err.contains("--set learning_rate") && err.contains("unknown key") && err.contains("lr,"), "{err}");
        let err = error(&["optimizer.learning_rate=1"]);
        assert!(err.contains("[optimizer] has") && err.contains("weight_decay"), "{err}");
        let err = error(&["lr"]);
        assert!(err.contains("--set lr") && err.contains("key=value"), "{err}");
        let err = error(&["batch_size=0"]);
        assert!(err.contains("data.batch_size"), "{err}");
        let err = error(&["model.n_heads=5"]);
        assert!(err.contains("n_heads"), "{err}");
        let err = error(&["model.heads=4"]);
        assert!(err.contains("model.heads") && err.contains("n_heads"), "{err}");
        for (set, key) in [("lr=inf", "optimizer.lr"), ("lr=0", "optimizer.lr"), ("lr=nan", "optimizer.lr"), ("weight_decay=-0.1", "optimizer.weight_decay"), ("grad_clip=inf", "optimizer.grad_clip"), ("optimizer.beta2=1", "optimizer.beta2"), ("optimizer.eps=0", "optimizer.eps"), ("min_lr=-1e-5", "schedule.min_lr"), ("run.keep_checkpoints=0", "run.keep_checkpoints"), ("dropout=1", "dropout")] {
            let err = error(&[set]);
            assert!(err.contains(key), "{set}: {err}");
        }
        let err = error(&["lr=fast"]);
        assert!(err.contains("lr = \"fast\"") && err.contains("f64"), "{err}");
        // A whole file whose preset is unknown: the message names the key and the presets.
        let err = error(&["model.preset=gpt9"]);
        assert!(err.contains("model.preset") && err.contains("gpt9") && err.contains("gpt2-small"), "{err}");
        let err = ExperimentConfig::parse(&format!("{BOOK}\n[extra]\nx = 1"), &[]).unwrap_err().to_string();
        assert!(err.contains("extra"), "{err}");
        let err = ExperimentConfig::parse(&BOOK.replace("preset = \"gpt-config-124m\"", ""), &[]).unwrap_err().to_string();
        assert!(err.contains("model.preset is missing"), "{err}");
    }
}
