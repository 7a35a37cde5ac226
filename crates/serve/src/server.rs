//! Running the router: bind, tell the CLI the address, serve until stopped. The server
//! owns a small runtime of its own (two workers: one person's browser is the only client,
//! and the heavy work runs on the blocking pool anyway), so the CLI stays synchronous.

use crate::security::{DEFAULT_BODY_LIMIT, Security, check_tile_origin, check_token, new_token};
use crate::{ServeError, Workbench, router};
use std::future::{Future, IntoFuture};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long requests under way may take to finish once asked to stop: a step being
/// written finishes, a stuck connection does not hold the process.
const GRACE: Duration = Duration::from_secs(5);

/// The port `qpv serve` listens on when none is given (`--port`, [`ServeConfig`]).
pub const DEFAULT_PORT: u16 = 8765;

/// The address `qpv serve` listens on when none is given: loopback, this computer only.
pub const DEFAULT_LISTEN: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The address to listen on; loopback unless the person asked otherwise.
    pub listen: IpAddr,
    /// The port; 0 lets the system pick one.
    pub port: u16,
    /// The session token; `None` draws a random 128-bit one ([`new_token`]).
    pub token: Option<String>,
    /// Largest request body in bytes (413 beyond).
    pub body_limit: usize,
    /// Origin of the basemap's tile server, allowed in the page's images
    /// ([`tile_origin`](crate::tile_origin) derives it from a `--tiles` URL).
    pub tile_origin: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN,
            port: DEFAULT_PORT,
            token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            tile_origin: None,
        }
    }
}

/// Binds, calls `ready(addr, url)` once listening (the CLI prints the line and may open a
/// browser), then serves until the process is killed or receives Ctrl-C (after which
/// requests under way have a few seconds to finish).
pub fn serve<W: Workbench>(
    config: ServeConfig,
    workbench: W,
    ready: impl FnOnce(SocketAddr, &str),
) -> Result<(), ServeError> {
    let ctrl_c = async {
        // Without a Ctrl-C handler, Ctrl-C keeps its default: ending the process.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve_until(config, workbench, ready, ctrl_c)
}

/// [`serve`], stopping when `shutdown` resolves instead of at Ctrl-C.
pub fn serve_until<W: Workbench>(
    config: ServeConfig,
    workbench: W,
    ready: impl FnOnce(SocketAddr, &str),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let token = match config.token {
        Some(token) => check_token(&token).map(|()| token)?,
        None => new_token(),
    };
    if let Some(origin) = &config.tile_origin {
        check_tile_origin(origin)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("qpv-serve")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let result = runtime.block_on(async move {
        let asked = SocketAddr::new(config.listen, config.port);
        let listen_error = |error| ServeError::Listen { addr: asked, error };
        let listener = tokio::net::TcpListener::bind(asked).await.map_err(listen_error)?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let security = Security {
            token: token.clone(),
            listen: config.listen,
            port: addr.port(),
            body_limit: config.body_limit,
            tile_origin: config.tile_origin,
        };
        let app = router(workbench, security);
        ready(addr, &address(addr, &token));
        let (stopping, stopped) = tokio::sync::oneshot::channel();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopping.send(());
        });
        let grace_over = async {
            match stopped.await {
                Ok(()) => tokio::time::sleep(GRACE).await,
                // The server ended first: its branch below has already won.
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            served = server.into_future() => served.map_err(ServeError::Serve),
            () = grace_over => Ok(()),
        }
    });
    runtime.shutdown_timeout(GRACE);
    result
}

/// The address to open: an unspecified listen address (`0.0.0.0`, `::`) is reached
/// through loopback on this machine.
fn address(addr: SocketAddr, token: &str) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/?token={token}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeBench;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc;

    /// One HTTP/1.1 exchange on a fresh connection; the whole answer as text.
    fn exchange(authority: &str, request: &str) -> String {
        let mut stream = TcpStream::connect(authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn ready_gives_a_working_address() {
        let (url_tx, url_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = ServeConfig { port: 0, ..ServeConfig::default() };
        let server = std::thread::spawn(move || {
            let ready = |addr: SocketAddr, url: &str| url_tx.send((addr, url.to_string())).unwrap();
            serve_until(config, FakeBench::default(), ready, async {
                let _ = stop_rx.await;
            })
        });
        let (addr, url) = url_rx.recv_timeout(Duration::from_secs(20)).expect("ready was not called");
        assert_ne!(addr.port(), 0);
        let rest = url.strip_prefix("http://").unwrap();
        let (authority, token) = rest.split_once("/?token=").unwrap();
        assert_eq!(authority, format!("127.0.0.1:{}", addr.port()));
        assert_eq!(token.len(), 32);

        let answer = exchange(
            authority,
            &format!("GET /?token={token} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
        );
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let port = addr.port();
        let cookie = format!("set-cookie: qpv_token_{port}={token}; HttpOnly; SameSite=Strict; Path=/");
        assert!(answer.to_ascii_lowercase().contains(&cookie.to_ascii_lowercase()), "{answer}");

        let answer = exchange(
            authority,
            &format!(
                "GET /api/state HTTP/1.1\r\nHost: {authority}\r\nCookie: qpv_token_{port}={token}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"version":0,"steps":[],"can_undo":false}"#), "{answer}");

        stop_tx.send(()).unwrap();
        server.join().unwrap().unwrap();
    }

    #[test]
    fn a_taken_port_is_named_with_the_fix() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let config = ServeConfig { port, ..ServeConfig::default() };
        let e =
            serve_until(config, FakeBench::default(), |_, _| panic!("not listening"), std::future::pending())
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("cannot listen on 127.0.0.1:{port}: address in use; pass --port N or --port 0")
        );
    }

    #[test]
    fn bad_settings_are_refused_before_binding() {
        let config = ServeConfig { port: 0, token: Some("a b".into()), ..ServeConfig::default() };
        let e = serve_until(config, FakeBench::default(), |_, _| panic!(), std::future::pending());
        assert!(matches!(e, Err(ServeError::BadToken)));
        let config = ServeConfig {
            port: 0,
            tile_origin: Some("https://x; script-src *".into()),
            ..ServeConfig::default()
        };
        let e = serve_until(config, FakeBench::default(), |_, _| panic!(), std::future::pending());
        assert!(matches!(e, Err(ServeError::BadTileOrigin(_))));
    }

    #[test]
    fn addresses() {
        let at = |s: &str| address(s.parse().unwrap(), "T");
        assert_eq!(at("0.0.0.0:80"), "http://127.0.0.1:80/?token=T");
        assert_eq!(at("[::]:80"), "http://[::1]:80/?token=T");
        assert_eq!(at("192.168.1.5:80"), "http://192.168.1.5:80/?token=T");
    }
}
