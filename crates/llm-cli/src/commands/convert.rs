use anyhow::Context;
use llm_model::weights::save_hf_dir;

use crate::cli::{ConvertArgs, GlobalArgs};

pub fn run(args: ConvertArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let device = super::selected_device(global)?;
    let (gpt, tokenizer) = super::model_dir::load(&args.model, &device, global.seed)?;
    save_hf_dir(&gpt, &args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
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
