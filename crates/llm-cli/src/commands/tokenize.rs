use std::io::Write;

use anyhow::Context;
use llm_data::Tokenizer;
use llm_data::corpus::read_text_file;
use llm_data::tokenizer::{TokenizerKind, train_tokenizer};

use crate::cli::{GlobalArgs, TokenizeArgs, TokenizeCommand, TokenizeTrainArgs};

pub fn run(args: TokenizeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if let Some(TokenizeCommand::Train(train)) = args.train {
        return run_train(train, global);
    }
    let tokenizer = Tokenizer::load(&args.tokenizer)?;
    let input = match (&args.text, &args.file) {
        (Some(text), None) => text.clone(),
        (None, Some(file)) => read_text_file(file)?,
        _ => anyhow::bail!("give the input with --text S or --file F"),
    };
    let mut out = std::io::stdout().lock();
    if args.decode {
        let ids = input
            .split_whitespace()
            .map(|s| s.parse::<u32>().with_context(|| format!("`{s}` is not a token id (a whole number from 0)")))
            .collect::<anyhow::Result<Vec<u32>>>()?;
        let vocab = tokenizer.vocab_size();
        if let Some(bad) = ids.iter().find(|&&id| id as usize >= vocab) {
            anyhow::bail!("token id {bad} is not in the vocabulary ({vocab} ids: 0 to {})", vocab - 1);
        }
        out.write_all(&tokenizer.decode_bytes(&ids))?;
        writeln!(out)?;
    } else {
        let ids: Vec<String> = tokenizer.encode(&input).iter().map(u32::to_string).collect();
        writeln!(out, "{}", ids.join(" "))?;
    }
    Ok(())
}

fn run_train(args: TokenizeTrainArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let kind = TokenizerKind::parse(&args.kind).expect("clap allows only the known kinds");
    let tokenizer = train_tokenizer(&args.file, kind, args.vocab_size, !global.json)?;
    tokenizer.save(&args.out)?;
    crate::commands::print_results(
        global,
        &[
            ("vocab_size", tokenizer.vocab_size().into()),
            ("out", args.out.display().to_string().into()),
        ],
    );
    Ok(())
}
