//! `llm`: every command of the toolkit, on any compiled-in Burn backend. The process-wide
//! policies live here and nowhere else: which backend (`backend`), the allocator
//! (`block_cache`) and the thread every command runs on (`threads`).

mod backend;
mod block_cache;
mod cli;
mod commands;
mod threads;

use block_cache::BlockCache;

/// Large tensors freed by one step are reused by the next instead of being mapped and
/// page-faulted afresh (see `block_cache`); `LLM_BLOCK_CACHE_MIB` sets its limit
/// (default: on for flex and ndarray, off for backends whose tensors live elsewhere).
#[global_allocator]
static ALLOC: BlockCache = BlockCache::new();

fn main() {
    let matches = <cli::Cli as clap::CommandFactory>::command().get_matches();
    let mut cli = <cli::Cli as clap::FromArgMatches>::from_arg_matches(&matches)
        .unwrap_or_else(|e| e.exit());
    cli.global.seed_given = matches.value_source("seed") == Some(clap::parser::ValueSource::CommandLine)
        || subcommand_seed_given(&matches);
    // A server logs one line per request by default.
    let serving = matches!(cli.command, cli::Command::Serve(_));
    init_logging(cli.global.verbose, serving);
    one_line_panics();
    if let Err(err) = set_block_cache_limit(commands::selected_backend(&cli.global)) {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
    if let Err(err) = start_pool() {
        eprintln!("error: starting the thread pool: {err}");
        std::process::exit(1);
    }
    // The command runs on one of the pool's threads, which then takes part in every
    // multithreaded operation of the CPU backends (see `threads`).
    if let Err(err) = threads::on_pool(|| commands::run(cli)) {
        // One line on stderr, non-zero exit: the contract of every command.
        eprintln!("error: {}", one_line(&err));
        std::process::exit(1);
    }
}

/// A panic (a bug, or a backend that failed where it could not return an error) ends the
/// command with one line like every other error; `RUST_BACKTRACE=1` keeps Rust's report.
fn one_line_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let at = info.location().map(|l| format!(" (at {}:{})", l.file(), l.line())).unwrap_or_default();
        eprintln!("error: internal error: {}{at}; run with RUST_BACKTRACE=1 for the trace", message.replace('\n', " "));
    }));
}

/// An error and its causes in one line, each cause once: an error whose message already
/// ends with its cause's (`path: No such file or directory`) does not repeat it.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain().map(|e| e.to_string()) {
        if !line.ends_with(&cause) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&cause);
        }
    }
    line.replace('\n', " ")
}

/// Stack of rayon's threads, on one of which every command runs: the size of a main thread's.
const POOL_STACK: usize = 8 << 20;

/// Rayon's global pool with main-thread-sized stacks (`RAYON_NUM_THREADS` threads, by
/// default one per core).
fn start_pool() -> Result<(), rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().stack_size(POOL_STACK).build_global()
}

/// `--seed` is global: clap records where it was given on the subcommand's matches.
fn subcommand_seed_given(matches: &clap::ArgMatches) -> bool {
    matches.subcommand().is_some_and(|(_, sub)| {
        sub.value_source("seed") == Some(clap::parser::ValueSource::CommandLine)
    })
}

/// `LLM_BLOCK_CACHE_MIB`, else the default for `backend`: on flex and ndarray, whose tensors
/// live in this process's heap, `BlockCache::DEFAULT_LIMIT`; elsewhere (LibTorch, GPUs) off,
/// since only host-side buffers pass through this allocator: tch's train-124m peaked at
/// 4602-4715 MiB with the cache (PyTorch 4522-4575) and 3996 without, at the same speed.
fn set_block_cache_limit(backend: backend::Backend) -> Result<(), String> {
    let Ok(value) = std::env::var("LLM_BLOCK_CACHE_MIB") else {
        if !backend.in_process() {
            ALLOC.set_limit(0);
        }
        return Ok(());
    };
    let mib: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("LLM_BLOCK_CACHE_MIB: expected a whole number of MiB (0 = off), got `{value}`"))?;
    ALLOC.set_limit(mib << 20);
    tracing::info!(limit_mib = mib, "large-block cache");
    Ok(())
}

fn init_logging(verbose: u8, serving: bool) {
    let default = match verbose {
        0 if serving => "warn,llm::commands::serve=info",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LLM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a terminal: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let err = anyhow::Error::new(io).context("x.txt: No such file or directory (os error 2)");
        assert_eq!(one_line(&err), "x.txt: No such file or directory (os error 2)");
        let err = anyhow::anyhow!("inner\ndetail").context("outer");
        assert_eq!(one_line(&err), "outer: inner detail");
    }
}
