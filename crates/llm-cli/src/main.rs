//! `llm`: tokenize, generate, perplexity and convert, on any compiled-in Burn backend.

mod backend;
mod cli;
mod commands;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    init_logging(cli.global.verbose);
    if let Err(err) = commands::run(cli) {
        // One line on stderr, non-zero exit: the contract of every command.
        let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
        eprintln!("error: {}", chain.join(": ").replace('\n', " "));
        std::process::exit(1);
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LLM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
