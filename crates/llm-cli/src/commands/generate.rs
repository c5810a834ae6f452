use std::io::Write;

use llm_data::chat::{ChatMessage, ChatTemplate};
use llm_data::tokenizer::StreamDecoder;
use llm_model::generation::{GenerateOptions, generate, strip_stop};

use crate::cli::{GenerateArgs, GlobalArgs};

pub fn run(args: GenerateArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let sampling = args.sampling.config()?;
    let device = super::selected_device(global)?;
    let (model, tokenizer) = super::model_dir::load_for_text(&args.model, &device, global.seed, args.dtype)?;
    let prompt = tokenizer.encode(&prompt_text(&args)?);
    if prompt.is_empty() {
        anyhow::bail!("--prompt is empty: generation needs at least one token");
    }
    let options = GenerateOptions {
        max_new_tokens: args.sampling.max_new_tokens,
        sampling,
        seed: global.seed,
        stop_tokens: super::chat_format::stop_tokens(&args.model, &tokenizer)?,
        use_cache: !args.no_cache,
    };
    let stop = &options.stop_tokens;
    if global.json {
        // One object at the end: the text, the new ids (without a final end-of-text) and
        // the decoding speed.
        let started = std::time::Instant::now();
        let ids = strip_stop(generate(&model, &prompt, &options, |_| {}), stop);
        let seconds = started.elapsed().as_secs_f64();
        let result = serde_json::json!({
            "text": tokenizer.decode(&ids),
            "ids": ids,
            "prompt_tokens": prompt.len(),
            "generated_tokens": ids.len(),
            "tokens_per_s": (ids.len() as f64 / seconds * 100.0).round() / 100.0,
        });
        println!("{result}");
        return Ok(());
    }
    let mut stream = StreamDecoder::new(&tokenizer);
    let mut stdout = std::io::stdout().lock();
    let mut failed = None;
    generate(&model, &prompt, &options, |token| {
        if stop.contains(&token) || failed.is_some() {
            return;
        }
        let text = stream.push(token);
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
            failed = Some(e);
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    write!(stdout, "{}", stream.finish())?;
    writeln!(stdout)?;
    Ok(())
}

/// The prompt as given, or with `--chat` rendered as a conversation by the model's template.
fn prompt_text(args: &GenerateArgs) -> anyhow::Result<String> {
    if !args.chat {
        return Ok(args.prompt.clone());
    }
    let Some(template) = ChatTemplate::for_model_dir(&args.model)? else {
        anyhow::bail!(
            "--chat: {} has no chat template (chat_template.jinja, or chat_template in tokenizer_config.json); \
             leave out --chat to continue the prompt as plain text",
            args.model.display()
        );
    };
    let system = args.system.iter().map(|text| ChatMessage::new("system", text));
    let messages: Vec<ChatMessage> = system.chain([ChatMessage::new("user", &args.prompt)]).collect();
    Ok(template.render_with(&messages, true, &template_vars(&args.template_vars)?)?)
}

/// `--template-var KEY=VALUE` flags as template variables.
fn template_vars(flags: &[String]) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    flags
        .iter()
        .map(|flag| match flag.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.into()));
                Ok((key.trim().to_string(), value))
            }
            _ => anyhow::bail!("--template-var {flag:?}: expected KEY=VALUE"),
        })
        .collect()
}
