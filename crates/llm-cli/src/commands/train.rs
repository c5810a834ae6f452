use std::path::PathBuf;

use anyhow::Context;
use llm_data::corpus::DataDir;
use llm_train::{ExperimentConfig, PretrainOptions, pretrain};

use crate::cli::{GlobalArgs, TrainArgs};

/// The main job's config, also built in so `llm train` works outside the repository.
const DEFAULT_CONFIG: &str = include_str!("../../../../experiments/default.toml");

pub fn run(args: TrainArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let (config, options) = resolve_run(&args, global, &[], ("default", DEFAULT_CONFIG))?;
    let summary = pretrain(&config, &options)?;
    let mut pairs = vec![
        ("steps", summary.steps.into()),
        ("tokens_seen", summary.tokens_seen.into()),
        ("train_loss", round(summary.train_loss).into()),
    ];
    if let Some(val) = summary.val_loss {
        pairs.push(("val_loss", round(val).into()));
    }
    pairs.extend(summary.scores.iter().map(|&(name, value)| (name, round(value).into())));
    pairs.push(("wall_s", (summary.wall_s.round()).into()));
    pairs.push(("model", summary.model_dir.display().to_string().into()));
    super::print_results(global, &pairs);
    Ok(())
}

/// The config and options of a training command: `--config` (or, with `--resume`, the
/// run's recorded config.toml, or else the command's built-in `default`), with `extra`
/// overrides, then `--set`, `--max-steps` and `--seed` on top.
pub(crate) fn resolve_run(
    args: &TrainArgs,
    global: &GlobalArgs,
    extra: &[String],
    default: (&str, &str),
) -> anyhow::Result<(ExperimentConfig, PretrainOptions)> {
    let mut sets = extra.to_vec();
    sets.extend(args.set.iter().cloned());
    if let Some(max) = args.max_steps {
        sets.push(format!("run.max_steps={max}"));
    }
    if global.seed_given {
        sets.push(format!("seed={}", global.seed));
    }
    let (config, name) = match &args.config {
        None if args.resume => {
            let out = args.out.clone().unwrap_or_else(|| PathBuf::from("runs/default"));
            let path = out.join("config.toml");
            if !path.is_file() {
                anyhow::bail!("{}: not found; --resume continues a run directory given with --out", path.display());
            }
            let name = out.file_name().map_or("run".into(), |s| s.to_string_lossy().into_owned());
            (ExperimentConfig::load(&path, &sets)?, name)
        }
        Some(path) => {
            let name = path.file_stem().map_or("run".into(), |s| s.to_string_lossy().into_owned());
            (ExperimentConfig::load(path, &sets)?, name)
        }
        None => (
            ExperimentConfig::parse(default.1, &sets).with_context(|| format!("experiments/{}.toml", default.0))?,
            default.0.to_string(),
        ),
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(name));
    let options = PretrainOptions {
        out: out.clone(),
        data_dir: DataDir::resolve(global.data_dir.as_deref()),
        device: super::selected_device(global)?,
        init_from: args.init_from.clone(),
        data_file: args.data_file.clone(),
        resume: args.resume,
        overwrite: args.overwrite,
    };
    Ok((config, options))
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
