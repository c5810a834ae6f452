//! `llm chat`: a conversation with a model in the terminal. Replies stream as they are
//! generated; the conversation is kept and rendered with the model's chat template (or the
//! Alpaca format), its oldest turns dropped (with a note) when it outgrows the context.
//! `/reset`, `/system TEXT`, `/exit`; Ctrl-C stops the reply, Ctrl-D ends the chat. Piped
//! standard input works too: one message a line, each reply on its own line.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use llm_data::chat::ChatMessage;
use llm_data::tokenizer::StreamDecoder;
use llm_model::CausalModel;
use llm_model::generation::{Decoding, GenerateOptions};

use super::chat_format::{ChatFormat, stop_tokens};
use crate::cli::{ChatArgs, GlobalArgs};

pub fn run(args: ChatArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let sampling = args.sampling.config()?;
    let device = super::selected_device(global)?;
    let (model, tokenizer) = super::model_dir::load_for_text(&args.model, &device, global.seed, args.dtype)?;
    let format = ChatFormat::for_model(&args.model)?;
    let stop = stop_tokens(&args.model, &tokenizer)?;
    let interactive = std::io::stdin().is_terminal();
    // Ctrl-C ends the reply being written, not the program.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;
    if interactive {
        eprintln!("chatting with {} ({}); /reset, /system TEXT, /exit; Ctrl-C stops a reply, Ctrl-D exits", args.model.display(), format.name());
    }
    let mut conversation = Conversation::new(args.system.clone());
    let mut stdout = std::io::stdout().lock();
    let mut turn = 0u64;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let message = line.trim();
        match message {
            "" => continue,
            "/exit" | "/quit" => break,
            "/reset" => {
                conversation = Conversation::new(args.system.clone());
                note(interactive, "(conversation cleared)");
                continue;
            }
            _ if message.starts_with("/system") => {
                conversation.system = Some(message.trim_start_matches("/system").trim().to_string()).filter(|s| !s.is_empty());
                note(interactive, "(system message set)");
                continue;
            }
            _ => {}
        }
        conversation.turns.push(ChatMessage::new("user", message));
        let max_new = args.sampling.max_new_tokens;
        let prompt = loop {
            let ids = tokenizer.encode(&format.render(&conversation.messages()).map_err(anyhow::Error::msg)?);
            if ids.len() + max_new <= model.context_length() || conversation.turns.len() <= 1 {
                break ids;
            }
            conversation.drop_oldest_exchange();
            eprintln!("(the conversation outgrew the model's context of {} tokens: its oldest turn was dropped)", model.context_length());
        };
        if prompt.len() >= model.context_length() {
            anyhow::bail!("the message is {} tokens long; the model's context is {}", prompt.len(), model.context_length());
        }
        interrupted.store(false, Ordering::SeqCst);
        let options = GenerateOptions {
            max_new_tokens: max_new.min(model.context_length() - prompt.len()),
            sampling: sampling.clone(),
            seed: global.seed.wrapping_add(turn),
            stop_tokens: stop.clone(),
            use_cache: true,
        };
        turn += 1;
        let mut decoding = Decoding::new(&model, &prompt, options);
        let mut text = StreamDecoder::new(&tokenizer);
        let mut reply = String::new();
        while let Some(token) = decoding.step(&model) {
            if decoding.ended_on_stop_token() {
                break;
            }
            let piece = text.push(token);
            reply.push_str(&piece);
            write!(stdout, "{piece}")?;
            stdout.flush()?;
            if interrupted.swap(false, Ordering::SeqCst) {
                note(true, "\n(reply stopped)");
                break;
            }
        }
        let rest = text.finish();
        reply.push_str(&rest);
        writeln!(stdout, "{rest}")?;
        conversation.turns.push(ChatMessage::new("assistant", &reply));
    }
    Ok(())
}

fn note(interactive: bool, text: &str) {
    if interactive {
        eprintln!("{text}");
    }
}

/// The system message and the turns since the last reset.
struct Conversation {
    system: Option<String>,
    turns: Vec<ChatMessage>,
}

impl Conversation {
    fn new(system: Option<String>) -> Self {
        Self { system, turns: Vec::new() }
    }

    fn messages(&self) -> Vec<ChatMessage> {
        self.system.iter().map(|s| ChatMessage::new("system", s)).chain(self.turns.iter().cloned()).collect()
    }

    /// The oldest user turn and the reply to it.
    fn drop_oldest_exchange(&mut self) {
        let n = if self.turns.get(1).is_some_and(|m| m.role == "assistant") { 2 } else { 1 };
        self.turns.drain(..n.min(self.turns.len()));
    }
}
