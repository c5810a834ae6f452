//! `llm serve`: a model as a local OpenAI-compatible HTTP service (axum on tokio), its
//! decoding on one worker thread ([`engine`]).

mod api;
mod engine;
mod error;
mod routes;
mod stop_text;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use llm_model::CausalModel;

use super::chat_format::ChatFormat;
use crate::cli::{GlobalArgs, ServeArgs};
use engine::Engine;
use routes::{Server, router};

pub fn run(args: ServeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.max_batch == 0 || args.max_queue == 0 {
        anyhow::bail!("--max-batch and --max-queue must be at least 1");
    }
    let device = super::selected_device(global)?;
    let (model, tokenizer) = super::model_dir::load_for_text(&args.model, &device, global.seed, args.dtype)?;
    let chat = ChatFormat::for_model(&args.model)?;
    let stop_tokens = super::chat_format::stop_tokens(&args.model, &tokenizer)?;
    let model_name = args.model.file_name().map_or_else(|| args.model.display().to_string(), |n| n.to_string_lossy().into_owned());
    let context_length = model.context_length();
    tracing::info!(model = %model_name, chat = chat.name(), context_length, max_batch = args.max_batch, max_queue = args.max_queue, "serving");
    let server = Arc::new(Server {
        engine: Engine::start(model, tokenizer.clone(), args.max_batch, args.max_queue),
        tokenizer,
        chat,
        model_name: model_name.clone(),
        api_key: args.api_key.clone(),
        context_length,
        stop_tokens,
        max_queue: args.max_queue,
        seed: global.seed,
        started: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        replies: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        let address = listener.local_addr()?;
        // One line on stdout for scripts (with --port 0, the port the system chose).
        println!("serving {model_name} on http://{address}");
        axum::serve(listener, router(server)).with_graceful_shutdown(shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// SIGINT (Ctrl-C) or SIGTERM: stop taking requests, let those in flight end.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: no new requests; those in flight finish");
}
