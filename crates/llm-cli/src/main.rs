//! `llm`: tokenize, generate, perplexity and convert, on any compiled-in Burn backend.

mod cli;
mod commands;


fn main() {
    let matches = <cli::Cli as clap::CommandFactory>::command().get_matches();
    let mut cli = <cli::Cli as clap::FromArgMatches>::from_arg_matches(&matches)
        .unwrap_or_else(|e| e.exit());
    cli.global.seed_given = matches.value_source("seed") == Some(clap::parser::ValueSource::CommandLine)
        || subcommand_seed_given(&matches);
    init_logging(cli.global.verbose);
    if let Err(err) = commands::run(cli) {
        // One line on stderr, non-zero exit: the contract of every command.
        let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
        eprintln!("error: {}", chain.join(": ").replace('\n', " "));
        std::process::exit(1);
    }
}

/// `--seed` is global: clap records where it was given on the subcommand's matches.
fn subcommand_seed_given(matches: &clap::ArgMatches) -> bool {
    matches.subcommand().is_some_and(|(_, sub)| {
        sub.value_source("seed") == Some(clap::parser::ValueSource::CommandLine)
    })
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
