use anyhow::Context;
use burn::module::Module;
use llm_data::Tokenizer;
use llm_data::chat::copy_tokenizer_companions;
use llm_data::tokenizer::TOKENIZER_FILE;
use llm_model::weights::{ModelKind, load_bert_dir, load_marian_dir, model_kind, save_bert_dir, save_language_model_as, save_marian_dir};

use llm_model::weights::WeightDtype;

use crate::cli::{ConvertArgs, GlobalArgs};

pub fn run(args: ConvertArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!("--out {}: exists and is not a directory", args.out.display());
    }
    let device = super::selected_device(global)?;
    if args.model.is_dir() {
        match model_kind(&args.model)? {
            ModelKind::Bert => return convert_bert(&args, &device, global),
            ModelKind::Marian => return convert_marian(&args, &device, global),
            ModelKind::Decoder(_) => {}
        }
    }
    let (model, tokenizer) = super::model_dir::load(&args.model, &device, global.seed, WeightDtype::F32)?;
    save_language_model_as(&model, &args.out, args.dtype).context("--out: cannot write the model directory")?;
    tokenizer.save_to_dir(&args.out)?;
    if args.model.is_dir() {
        copy_tokenizer_companions(&args.model, &args.out)?;
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

/// A BERT directory rewritten (in `--dtype`) with its tokenizer files.
fn convert_bert(args: &ConvertArgs, device: &burn::tensor::Device, global: &GlobalArgs) -> anyhow::Result<()> {
    let model = load_bert_dir(&args.model, device).with_context(|| format!("cannot load model from {}", args.model.display()))?;
    save_bert_dir(&model, &args.out, args.dtype).context("--out: cannot write the model directory")?;
    copy_tokenizer(args)?;
    print_converted(args, global, model.num_params(), model.architecture().class_name());
    Ok(())
}

/// A Marian directory rewritten (in `--dtype`) with its tokenizer files.
fn convert_marian(args: &ConvertArgs, device: &burn::tensor::Device, global: &GlobalArgs) -> anyhow::Result<()> {
    let model = load_marian_dir(&args.model, device).with_context(|| format!("cannot load model from {}", args.model.display()))?;
    save_marian_dir(&model, &args.out, args.dtype).context("--out: cannot write the model directory")?;
    copy_tokenizer(args)?;
    print_converted(args, global, model.num_params(), "MarianMTModel");
    Ok(())
}

/// The `tokenizer.json` (rewritten) and the files beside it.
fn copy_tokenizer(args: &ConvertArgs) -> anyhow::Result<()> {
    let tokenizer = args.model.join(TOKENIZER_FILE);
    if tokenizer.is_file() {
        Tokenizer::from_file(&tokenizer)?.save_to_dir(&args.out)?;
    }
    copy_tokenizer_companions(&args.model, &args.out)?;
    Ok(())
}

fn print_converted(args: &ConvertArgs, global: &GlobalArgs, params: usize, architecture: &str) {
    super::print_results(
        global,
        &[
            ("out", args.out.display().to_string().into()),
            ("params", params.into()),
            ("dtype", args.dtype.torch_name().into()),
            ("architecture", architecture.into()),
        ],
    );
}
