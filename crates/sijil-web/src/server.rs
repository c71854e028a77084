//! `sijil serve`: the HTTP server, with graceful shutdown.

use std::net::SocketAddr;

use actix_web::HttpServer;

use crate::routes::app;
use crate::state::AppState;

/// How long in-flight requests may take to finish after SIGTERM/SIGINT.
const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// A bound server, ready to run.
pub struct Bound {
    server: actix_web::dev::Server,
    /// The addresses actually bound (useful with port 0).
    pub addresses: Vec<SocketAddr>,
    state: AppState,
}

/// Serves on an already bound listener (so that the caller knows the actual
/// address, e.g. after binding port 0, before building the state).
pub fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Bound> {
    let factory_state = state.clone();
    let mut server =
        HttpServer::new(move || app(factory_state.clone())).shutdown_timeout(SHUTDOWN_TIMEOUT_SECS);
    if let Some(workers) = workers {
        server = server.workers(workers.max(1));
    }
    let server = server.listen(listener)?;
    let addresses = server.addrs();
    Ok(Bound {
        server: server.run(),
        addresses,
        state,
    })
}

impl Bound {
    /// Runs until SIGTERM or SIGINT; in-flight requests finish (or time out),
    /// then the sequencer commits what it has queued and stops.
    pub async fn run(self) -> std::io::Result<()> {
        let result = self.server.await;
        let registry = self.state.registry.clone();
        let _ = actix_web::web::block(move || registry.shutdown()).await;
        tracing::info!("stopped");
        result
    }
}
