//! Running the router: bind, tell the CLI the addresses, serve until stopped. The server
//! owns a small runtime of its own (two workers: a meeting's few browsers are the only
//! clients, and the heavy work runs on the blocking pool anyway), so the CLI stays
//! synchronous. Connections are served by hyper directly rather than `axum::serve`, which
//! sets no timeout: a client must send a request's headers within
//! [`ServeConfig::header_timeout`] (which also closes a keep-alive connection left idle that
//! long), and a connection is closed, once its request under way is answered, after
//! [`ServeConfig::connection_life`].

use crate::api::{EVENTS_WAIT, router_with};
use crate::security::{DEFAULT_BODY_LIMIT, Security, check_tile_origin, check_token, new_token};
use crate::{ServeError, Workbench};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
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
    /// The edit token; `None` draws a random 128-bit one ([`new_token`]).
    pub token: Option<String>,
    /// The view token (the read-only link); `None` draws a random one.
    pub view_token: Option<String>,
    /// Largest request body in bytes (413 beyond).
    pub body_limit: usize,
    /// Origin of the basemap's tile server, allowed in the page's images
    /// ([`tile_origin`](crate::tile_origin) derives it from a `--tiles` URL).
    pub tile_origin: Option<String>,
    /// Longest wait for a request's headers, the first or the next on a kept-alive
    /// connection; the connection is closed past it.
    pub header_timeout: Duration,
    /// Longest life of one connection: past it, the connection is closed once its request
    /// under way is answered (the browser opens another).
    pub connection_life: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN,
            port: DEFAULT_PORT,
            token: None,
            view_token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            tile_origin: None,
            header_timeout: Duration::from_secs(10),
            connection_life: Duration::from_secs(600),
        }
    }
}

/// The two addresses to open, printed at start: each carries its token in the fragment,
/// which the browser keeps to itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// `http://HOST:PORT/#token=EDIT_TOKEN`: the page that edits.
    pub edit: String,
    /// `http://HOST:PORT/#token=VIEW_TOKEN`: the read-only link.
    pub view: String,
}

/// Binds, calls `ready(addr, addresses)` once listening (the CLI prints them and may open a
/// browser), then serves until the process is killed or receives Ctrl-C or, on Unix,
/// SIGTERM (`kill PID`, a service manager stopping it): requests under way then have a few
/// seconds to finish and the caller's clean-up runs.
pub fn serve<W: Workbench>(
    config: ServeConfig,
    workbench: W,
    ready: impl FnOnce(SocketAddr, &Addresses),
) -> Result<(), ServeError> {
    let stop = async {
        tokio::select! {
            () = ctrl_c() => {}
            () = terminate() => {}
        }
    };
    serve_until(config, workbench, ready, stop)
}

/// Ctrl-C; never, when no handler can be installed (Ctrl-C then keeps its default: ending
/// the process).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// SIGTERM on Unix; never elsewhere or when no handler can be installed.
async fn terminate() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        term.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}

/// [`serve`], stopping when `shutdown` resolves instead of at Ctrl-C.
pub fn serve_until<W: Workbench>(
    config: ServeConfig,
    workbench: W,
    ready: impl FnOnce(SocketAddr, &Addresses),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let given = |token: Option<String>| match token {
        Some(token) => check_token(&token).map(|()| token),
        None => Ok(new_token()),
    };
    let token = given(config.token)?;
    let view_token = given(config.view_token)?;
    if view_token == token {
        return Err(ServeError::SameTokens);
    }
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
            view_token: view_token.clone(),
            listen: config.listen,
            port: addr.port(),
            body_limit: config.body_limit,
            tile_origin: config.tile_origin,
        };
        let (app, closing) = router_with(workbench, security, EVENTS_WAIT);
        ready(addr, &Addresses { edit: address(addr, &token), view: address(addr, &view_token) });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(config.header_timeout);
        // Each connection holds a receiver; all dropped is all closed.
        let (stop, stopping) = tokio::sync::watch::channel(());
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors, a connection reset before it was taken:
                    // the next ones may do; a pause keeps a full table from spinning.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let connection =
                http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
            let (mut stopping, life) = (stopping.clone(), config.connection_life);
            tokio::spawn(async move {
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    // Served to the end (or broken, or timed out): nothing to tell anyone.
                    _ = connection.as_mut() => return,
                    _ = stopping.changed() => {}
                    () = tokio::time::sleep(life) => {}
                }
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            });
        }
        drop((listener, stopping));
        let _ = closing.send(true);
        let _ = stop.send(());
        // Requests under way finish, within the grace.
        let _ = tokio::time::timeout(GRACE, stop.closed()).await;
        Ok(())
    });
    runtime.shutdown_timeout(GRACE);
    result
}

/// The address to open with `token`: an unspecified listen address (`0.0.0.0`, `::`) is
/// reached through loopback on this machine.
fn address(addr: SocketAddr, token: &str) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/#token={token}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeBench;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc;
    use std::time::Instant;

    /// One HTTP/1.1 exchange on a fresh connection; the whole answer as text.
    fn exchange(authority: &str, request: &str) -> String {
        let mut stream = TcpStream::connect(authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    /// Sends the long poll of a page at version 0 on `stream` (kept alive: not read here).
    fn ask_events(stream: &mut TcpStream, authority: &str, token: &str) {
        let ask = format!(
            "GET /api/events?since=0 HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        stream.write_all(ask.as_bytes()).unwrap();
    }

    /// The first edit of the session (version 0), from another connection; it must succeed.
    fn first_edit(authority: &str, token: &str) {
        let body = r#"{"version": 0, "step": {"op": "remove"}}"#;
        let edited = exchange(
            authority,
            &format!(
                "POST /api/edit HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(edited.starts_with("HTTP/1.1 200"), "{edited}");
    }

    /// A server on a free port with `config`, its addresses, and the sender that stops it.
    struct Running {
        addr: SocketAddr,
        addresses: Addresses,
        stop: tokio::sync::oneshot::Sender<()>,
        server: std::thread::JoinHandle<Result<(), ServeError>>,
    }

    fn start(config: ServeConfig) -> Running {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = ServeConfig { port: 0, ..config };
        let server = std::thread::spawn(move || {
            let ready = |addr: SocketAddr, a: &Addresses| ready_tx.send((addr, a.clone())).unwrap();
            serve_until(config, FakeBench::default(), ready, async {
                let _ = stop_rx.await;
            })
        });
        let (addr, addresses) = ready_rx.recv_timeout(Duration::from_secs(20)).expect("ready was not called");
        Running { addr, addresses, stop, server }
    }

    impl Running {
        fn authority(&self) -> String {
            format!("127.0.0.1:{}", self.addr.port())
        }

        fn end(self) {
            self.stop.send(()).unwrap();
            self.server.join().unwrap().unwrap();
        }
    }

    #[test]
    fn ready_gives_two_working_addresses_and_no_cookie() {
        let running = start(ServeConfig::default());
        let authority = running.authority();
        let token_of = |url: &str| {
            let rest =
                url.strip_prefix(&format!("http://{authority}/#token=")).unwrap_or_else(|| panic!("{url}"));
            rest.to_owned()
        };
        let (edit, view) = (token_of(&running.addresses.edit), token_of(&running.addresses.view));
        assert_eq!((edit.len(), view.len()), (32, 32));
        assert_ne!(edit, view);

        // The page needs no token; the API needs one, and the answer sets no cookie.
        let page = exchange(
            &authority,
            &format!("GET / HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
        );
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        for token in [&edit, &view] {
            let answer = exchange(
                &authority,
                &format!(
                    "GET /api/state HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
                ),
            );
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(!answer.to_ascii_lowercase().contains("set-cookie"), "{answer}");
        }
        running.end();
    }

    /// A client that connects and sends nothing, or keeps a connection idle after its
    /// request, is cut off after the header timeout; the long poll, an answer in the
    /// making, is not.
    #[test]
    fn silent_and_idle_connections_are_closed_after_the_header_timeout() {
        let config = ServeConfig { header_timeout: Duration::from_millis(500), ..ServeConfig::default() };
        let running = start(config);
        let authority = running.authority();
        let closed_after = |stream: &mut TcpStream| {
            let started = Instant::now();
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            (started.elapsed(), String::from_utf8_lossy(&rest).into_owned())
        };
        let mut silent = TcpStream::connect(&authority).unwrap();
        let (waited, _) = closed_after(&mut silent);
        assert!(waited < Duration::from_secs(3), "a silent connection stayed open {waited:?}");

        let mut kept = TcpStream::connect(&authority).unwrap();
        kept.write_all(format!("GET /app.css HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes()).unwrap();
        let (waited, answer) = closed_after(&mut kept);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(waited < Duration::from_secs(3), "an idle kept-alive connection stayed open {waited:?}");

        // A long poll waiting three times the header timeout is answered, not cut.
        let edit = running.addresses.edit.rsplit('=').next().unwrap().to_owned();
        let mut poll = TcpStream::connect(&authority).unwrap();
        poll.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        ask_events(&mut poll, &authority, &edit);
        std::thread::sleep(Duration::from_millis(1500));
        first_edit(&authority, &edit);
        // Kept alive: read until the body's end, not the connection's.
        let mut answer = String::new();
        let mut chunk = [0u8; 512];
        while !answer.ends_with('}') {
            let n = poll.read(&mut chunk).unwrap();
            assert!(n > 0, "closed before the answer: {answer}");
            answer.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
        assert!(answer.starts_with("HTTP/1.1 200") && answer.contains(r#""version":1"#), "{answer}");
        running.end();
    }

    /// A connection past its life is closed once its answer is sent, not during it.
    #[test]
    fn a_connection_past_its_life_is_closed_after_its_answer() {
        let config = ServeConfig { connection_life: Duration::from_millis(300), ..ServeConfig::default() };
        let running = start(config);
        let authority = running.authority();
        let mut stream = TcpStream::connect(&authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let edit = running.addresses.edit.rsplit('=').next().unwrap().to_owned();
        // The long poll with the version it already has waits; the life ends meanwhile, and
        // an edit from another connection ends the wait.
        ask_events(&mut stream, &authority, &edit);
        std::thread::sleep(Duration::from_millis(600));
        first_edit(&authority, &edit);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "the request under way is answered: {answer}");
        assert!(answer.contains(r#""version":1"#), "the edit's version: {answer}");
        running.end();
    }

    /// A page open on the server (its long poll waiting) does not hold the stop: the poll
    /// is answered "nothing new" and the server ends at once.
    #[test]
    fn stopping_ends_the_long_polls_at_once() {
        let running = start(ServeConfig::default());
        let authority = running.authority();
        let edit = running.addresses.edit.rsplit('=').next().unwrap().to_owned();
        let mut stream = TcpStream::connect(&authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let poll = format!(
            "GET /api/events?since=0 HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {edit}\r\n\r\n"
        );
        stream.write_all(poll.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        running.end();
        assert!(started.elapsed() < Duration::from_secs(2), "the stop took {:?}", started.elapsed());
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"version":0,"last_change":null}"#), "{answer}");
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
        let refused = |config: ServeConfig| {
            serve_until(
                ServeConfig { port: 0, ..config },
                FakeBench::default(),
                |_, _| panic!(),
                std::future::pending(),
            )
            .unwrap_err()
        };
        let e = refused(ServeConfig { token: Some("a b".into()), ..ServeConfig::default() });
        assert!(matches!(e, ServeError::BadToken));
        let e = refused(ServeConfig { view_token: Some("x;y".into()), ..ServeConfig::default() });
        assert!(matches!(e, ServeError::BadToken));
        let same = ServeConfig {
            token: Some("abc".into()),
            view_token: Some("abc".into()),
            ..ServeConfig::default()
        };
        assert!(matches!(refused(same), ServeError::SameTokens));
        let e = refused(ServeConfig {
            tile_origin: Some("https://x; script-src *".into()),
            ..ServeConfig::default()
        });
        assert!(matches!(e, ServeError::BadTileOrigin(_)));
    }

    #[test]
    fn addresses() {
        let at = |s: &str| address(s.parse().unwrap(), "T");
        assert_eq!(at("0.0.0.0:80"), "http://127.0.0.1:80/#token=T");
        assert_eq!(at("[::]:80"), "http://[::1]:80/#token=T");
        assert_eq!(at("192.168.1.5:80"), "http://192.168.1.5:80/#token=T");
    }
}
