use anyhow::Context;
use burn::module::Module;
use llm_data::chat::copy_chat_files;
use llm_model::weights::save_language_model_as;

use llm_model::weights::WeightDtype;

use crate::cli::{ConvertArgs, GlobalArgs};

pub fn run(args: ConvertArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!("--out {}: exists and is not a directory", args.out.display());
    }
    let device = super::selected_device(global)?;
    let (model, tokenizer) = super::model_dir::load(&args.model, &device, global.seed, WeightDtype::F32)?;
    save_language_model_as(&model, &args.out, args.dtype).context("--out: cannot write the model directory")?;
    tokenizer.save_to_dir(&args.out)?;
    if args.model.is_dir() {
        copy_chat_files(&args.model, &args.out)?;
    }
    super::print_results(
        global,
        &[
            ("out", args.out.display().to_string().into()),
            ("params", model.num_params().into()),
            ("dtype", args.dtype.torch_name().into()),
        ],
    );
    Ok(())
}
