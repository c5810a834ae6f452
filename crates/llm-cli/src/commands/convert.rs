use anyhow::Context;
use llm_model::weights::save_hf_dir;

use crate::cli::{ConvertArgs, GlobalArgs};

pub fn run(args: ConvertArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!("--out {}: exists and is not a directory", args.out.display());
    }
    let device = super::selected_device(global)?;
    let (gpt, tokenizer) = super::model_dir::load(&args.model, &device, global.seed)?;
    save_hf_dir(&gpt, &args.out).context("--out: cannot write the model directory")?;
    tokenizer.save_to_dir(&args.out)?;
    super::print_results(
        global,
        &[
            ("out", args.out.display().to_string().into()),
            ("params", gpt.config().num_params().into()),
        ],
    );
    Ok(())
}
