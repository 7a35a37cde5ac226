//! Who may talk to the server. Any page the person has open in the same browser can send
//! requests to `127.0.0.1`, so every request passes, in this order:
//!
//! 1. the `Host` check (403): a DNS-rebinding page reaches us under its own name, which is
//!    refused; only loopback names and IP literals with our port are accepted;
//! 2. the `Origin` check on anything but GET/HEAD (403): a form or `fetch` from another
//!    site names its own origin;
//! 3. on the API (`/api/…`), the token (401): `Authorization: Bearer`, nothing else. The
//!    edit token may do everything, the view token only GET (403 on a write). The page's
//!    static files need no token: they hold no session data.
//!
//! No cookie is set or read: browsers scope cookies by host, not port, so every other
//! server on `127.0.0.1` (a notebook, a dev server) would receive one. The printed address
//! carries the token in its fragment (`/#token=…`), which browsers never send; the page keeps
//! it in `sessionStorage`. An old bookmark `/?token=…` is sent to `/#token=…`.
//!
//! Every answer, refused or not, then gets `nosniff`, `no-store` and the page's
//! Content-Security-Policy (see [`Security::content_security_policy`]).

use crate::ServeError;
use crate::error::json_response;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The default largest request body: 1 MiB (a drawn polygon is a few kB).
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// What a request's token allows; the guard puts it in the request's extensions for the
/// routes (`GET /api/state` tells the page which it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The edit token: every route.
    Edit,
    /// The view token (the read-only link): GET only.
    View,
}

impl Access {
    /// `"edit"` or `"view"`, as the state's `access` says.
    pub fn word(self) -> &'static str {
        match self {
            Access::Edit => "edit",
            Access::View => "view",
        }
    }
}

/// What the router checks on every request.
#[derive(Clone)]
pub struct Security {
    /// The edit token.
    pub token: String,
    /// The view token: the read-only link's.
    pub view_token: String,
    /// The address listened on: a non-loopback one also admits IP literals in `Host`.
    pub listen: IpAddr,
    /// The port listened on (the bound one, not 0).
    pub port: u16,
    /// Largest request body in bytes; larger ones get 413.
    pub body_limit: usize,
    /// Origin of the basemap's tile server (`https://tile.openstreetmap.org`), allowed as an
    /// image source in the page's Content-Security-Policy; from [`tile_origin`].
    pub tile_origin: Option<String>,
}

impl Security {
    /// Checks for a server at `addr` with this edit token, a random view token, the
    /// default body limit, no basemap.
    pub fn new(token: impl Into<String>, addr: SocketAddr) -> Self {
        Security {
            token: token.into(),
            view_token: new_token(),
            listen: addr.ip(),
            port: addr.port(),
            body_limit: DEFAULT_BODY_LIMIT,
            tile_origin: None,
        }
    }

    /// The page may load scripts, styles, fonts and data from this server only, and images
    /// also from the tile server. Styles allow `'unsafe-inline'` because Leaflet popups and
    /// the page's HTML may carry `style` attributes; CSS cannot reach the network here since
    /// images and fonts are held to the same sources.
    pub fn content_security_policy(&self) -> String {
        let tiles = self.tile_origin.as_deref().map(|o| format!(" {o}")).unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: blob:{tiles}; font-src 'self'; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }
}

// The token stays out of logs and panics.
impl fmt::Debug for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Security")
            .field("token", &"…")
            .field("view_token", &"…")
            .field("listen", &self.listen)
            .field("port", &self.port)
            .field("body_limit", &self.body_limit)
            .field("tile_origin", &self.tile_origin)
            .finish()
    }
}

/// A fresh session token: 128 random bits from the system, as 32 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    // The system's random source failing at start-up leaves nothing sensible to do.
    getrandom::fill(&mut bytes).expect("the system's random source is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a token given on the command line: it goes verbatim into a URL and a header.
pub(crate) fn check_token(token: &str) -> Result<(), ServeError> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    if token.is_empty() || token.len() > 256 || !token.chars().all(fits) {
        return Err(ServeError::BadToken);
    }
    Ok(())
}

/// The origin (`scheme://host[:port]`) of a tile URL template such as
/// `https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png`, for [`Security::tile_origin`]; a
/// `{s}` subdomain becomes `*`. `None` when the URL has no usable origin.
pub fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.strip_prefix("{s}.").map_or(authority.to_string(), |a| format!("*.{a}"));
    let origin = format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase());
    check_tile_origin(&origin).ok().map(|()| origin)
}

/// An origin goes verbatim into the CSP header: nothing that could end the directive.
pub(crate) fn check_tile_origin(origin: &str) -> Result<(), ServeError> {
    let bad = || ServeError::BadTileOrigin(origin.to_string());
    let (scheme, authority) = origin.split_once("://").ok_or_else(bad)?;
    let host_char = |c: char| c.is_ascii_alphanumeric() || "-.:[]*".contains(c);
    if !matches!(scheme, "http" | "https") || authority.is_empty() || !authority.chars().all(host_char) {
        return Err(bad());
    }
    Ok(())
}

/// The middleware: Host, Origin, token, then the headers every answer carries.
pub(crate) async fn guard(
    State(security): State<Arc<Security>>,
    mut request: Request,
    next: Next,
) -> Response {
    let mut response = match checked(&security, &request) {
        Checked::Page => next.run(request).await,
        Checked::Api(access) => {
            request.extensions_mut().insert(access);
            next.run(request).await
        }
        Checked::Stop(answer) => answer,
    };
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Every answer is the live session (or a page that changes with the binary): none may
    // be reused from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(csp) = HeaderValue::from_str(&security.content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// What the checks make of a request.
enum Checked {
    /// One of the page's files: on to the routes.
    Page,
    /// An API request with this access: on to the routes.
    Api(Access),
    /// Answered here: 403, 401, or the 303 of an old bookmark.
    Stop(Response),
}

fn checked(security: &Security, request: &Request) -> Checked {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let Some(host) = host.filter(|h| host_allowed(h, security)) else {
        return Checked::Stop(refuse(StatusCode::FORBIDDEN, "foreign Host header refused"));
    };
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    if !reads
        && let Some(origin) = headers.get(header::ORIGIN)
        && !same_origin(origin.to_str().unwrap_or("null"), host)
    {
        return Checked::Stop(refuse(StatusCode::FORBIDDEN, "request from another origin refused"));
    }
    let path = request.uri().path();
    if path == "/"
        && let Some(given) = query_token(request.uri().query())
    {
        // An address printed before the token moved to the fragment: the same page, with
        // the token where the page now looks for it, and out of the server's logs.
        return Checked::Stop(match access_of(security, given) {
            Some(_) => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/#token={given}"))]).into_response()
            }
            None => unauthorised(),
        });
    }
    if !(path == "/api" || path.starts_with("/api/")) {
        return Checked::Page;
    }
    match bearer(headers).and_then(|t| access_of(security, t)) {
        None => Checked::Stop(unauthorised()),
        Some(Access::View) if !reads => Checked::Stop(json_response(
            StatusCode::FORBIDDEN,
            &serde_json::json!({"error": "this link is read-only: it shows the session and follows its changes; \
                                 to edit, open the edit address qpv serve printed first"}),
        )),
        Some(access) => Checked::Api(access),
    }
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

fn unauthorised() -> Response {
    refuse(StatusCode::UNAUTHORIZED, "missing or wrong token: open the address qpv serve printed")
}

/// Which token `given` is, if any.
fn access_of(security: &Security, given: &str) -> Option<Access> {
    // Both compared, so that the time taken does not tell which one was nearly guessed.
    let edit = same_token(given.as_bytes(), security.token.as_bytes());
    let view = same_token(given.as_bytes(), security.view_token.as_bytes());
    if edit {
        Some(Access::Edit)
    } else if view {
        Some(Access::View)
    } else {
        None
    }
}

/// Compares without stopping at the first difference, so that the time taken does not
/// tell an attacker how much of a guess was right.
///
/// An empty token (a `Security` built by hand) matches nothing, not an empty `Bearer`.
fn same_token(given: &[u8], token: &[u8]) -> bool {
    if token.is_empty() || given.len() != token.len() {
        return false;
    }
    let diff = given.iter().zip(token).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The `token` parameter of a query string (tokens are URL-safe: no decoding).
fn query_token(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

/// The token of the first `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get_all(header::AUTHORIZATION).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    })
}

/// Host and port of a `Host` header or an origin's authority; a missing port is `default`.
/// IPv6 literals keep their brackets; names are lowercased.
fn host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        (host, if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// The IP of a host as written in a `Host` header (`127.0.0.1`, `[::1]`), if it is one.
fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse().ok().filter(IpAddr::is_ipv6),
        None => host.parse().ok().filter(IpAddr::is_ipv4),
    }
}

/// Loopback names and the listened-on address always; any IP literal when listening beyond
/// loopback (reached from another machine by its address); never another DNS name, which is
/// how a rebinding page would arrive.
fn host_allowed(host_header: &str, security: &Security) -> bool {
    let Some((host, port)) = host_port(host_header, 80) else { return false };
    if port != security.port {
        return false;
    }
    if matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]") {
        return true;
    }
    match ip_literal(&host) {
        Some(ip) => ip == security.listen || !security.listen.is_loopback(),
        None => false,
    }
}

/// Whether an `Origin` header names the host and port the request was sent to.
fn same_origin(origin: &str, host_header: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let default = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    match (host_port(authority, default), host_port(host_header, 80)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{PORT, TOKEN, VIEW_TOKEN, get, security, send, send_body, viewer};
    use axum::http::StatusCode;

    fn loopback() -> Security {
        security("127.0.0.1".parse().unwrap())
    }

    #[test]
    fn tokens_are_128_bit_hex_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(check_token(&a).is_ok());
        assert!(check_token("a b").is_err() && check_token("").is_err() && check_token("x;y").is_err());
    }

    #[test]
    fn same_token_needs_every_byte() {
        assert!(same_token(b"abcd", b"abcd"));
        assert!(!same_token(b"abce", b"abcd"));
        assert!(!same_token(b"abc", b"abcd"));
        assert!(!same_token(b"", b""));
    }

    #[test]
    fn hosts() {
        let s = loopback();
        for ok in ["127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123"] {
            assert!(host_allowed(ok, &s), "{ok}");
        }
        for bad in [
            "evil.example:8123",
            "127.0.0.1:8124",
            "127.0.0.1",
            "192.168.1.5:8123",
            "[::1]",
            "localhost.:8123",
            "",
        ] {
            assert!(!host_allowed(bad, &s), "{bad}");
        }
        let lan = security("0.0.0.0".parse().unwrap());
        assert!(host_allowed("192.168.1.5:8123", &lan));
        assert!(host_allowed("[fe80::1]:8123", &lan));
        assert!(!host_allowed("nas.local:8123", &lan));
        // A loopback address other than 127.0.0.1 is reached by its own literal.
        let other = security("127.0.0.2".parse().unwrap());
        assert!(host_allowed("127.0.0.2:8123", &other));
        assert!(!host_allowed("127.0.0.3:8123", &other));
    }

    #[test]
    fn origins() {
        assert!(same_origin("http://127.0.0.1:8123", "127.0.0.1:8123"));
        assert!(same_origin("http://LocalHost:8123", "localhost:8123"));
        assert!(!same_origin("http://localhost:8123", "127.0.0.1:8123"));
        // Host and port are compared, as the brief of the check says; no other server can
        // answer https on our port.
        assert!(same_origin("https://127.0.0.1:8123", "127.0.0.1:8123"));
        assert!(!same_origin("https://127.0.0.1", "127.0.0.1:8123"));
        assert!(!same_origin("null", "127.0.0.1:8123"));
        assert!(same_origin("http://example.org", "example.org"));
    }

    #[test]
    fn tile_origins() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.org:8443")
        );
        assert_eq!(tile_origin("file:///tmp/x.png"), None);
        assert_eq!(tile_origin("https://a;b/x"), None);
        let mut s = loopback();
        s.tile_origin = Some("https://tile.openstreetmap.org".into());
        assert!(
            s.content_security_policy()
                .contains("img-src 'self' data: blob: https://tile.openstreetmap.org;")
        );
        let debug = format!("{s:?}");
        assert!(debug.contains('…') && !debug.contains(&s.token) && !debug.contains(&s.view_token));
    }

    #[tokio::test]
    async fn no_token_is_401() {
        let r = send(get("/api/state").header("host", format!("127.0.0.1:{PORT}")), &loopback()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body, "missing or wrong token: open the address qpv serve printed");
        let r = send(
            get("/api/state")
                .header("host", format!("127.0.0.1:{PORT}"))
                .header("authorization", "Bearer nope"),
            &loopback(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }

    /// A cookie, even one holding the right token under the old name, opens nothing: the
    /// server reads no cookie (other local servers would receive it).
    #[tokio::test]
    async fn a_cookie_is_never_read() {
        let s = loopback();
        for cookie in [format!("qpv_token_{PORT}={TOKEN}"), format!("qpv_token={TOKEN}")] {
            let r = send(
                get("/api/state").header("host", format!("127.0.0.1:{PORT}")).header("cookie", cookie),
                &s,
            )
            .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn bearer_of_either_token_reads_and_the_state_says_which() {
        let s = loopback();
        let host = format!("127.0.0.1:{PORT}");
        for (token, access) in [(TOKEN, "edit"), (VIEW_TOKEN, "view")] {
            let r = send(
                get("/api/state").header("host", &host).header("authorization", format!("Bearer {token}")),
                &s,
            )
            .await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.json()["access"], access);
            assert_eq!(r.headers["x-content-type-options"], "nosniff");
            assert_eq!(r.headers["cache-control"], "no-store");
        }
        // The scheme is case-insensitive, as RFC 9110 has it.
        let r = send(
            get("/api/state").header("host", &host).header("authorization", format!("bearer {TOKEN}")),
            &s,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }

    /// The read-only link is refused every write, before the session sees it, with a
    /// message the page can show; its reads (state, events, squares, the file) pass.
    #[tokio::test]
    async fn the_view_token_is_403_on_every_post() {
        let s = loopback();
        for path in ["/api/edit", "/api/undo", "/api/redo", "/api/export", "/api/nothing"] {
            let r = send_body(viewer("POST", path), r#"{"version": 0, "step": {"op": "remove"}}"#, &s).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
            assert!(r.json()["error"].as_str().unwrap().starts_with("this link is read-only: "), "{path}");
        }
        for path in [
            "/api/state",
            "/api/events?since=5",
            "/api/squares?bbox=1,2,3,4",
            "/api/edits.toml",
            "/api/compare",
        ] {
            assert_eq!(send(viewer("GET", path), &s).await.status, StatusCode::OK, "{path}");
        }
    }

    /// The page's files hold no session data: served without a token (Host still checked);
    /// the API never is.
    #[tokio::test]
    async fn the_page_needs_no_token_and_the_api_always_does() {
        let s = loopback();
        let host = format!("127.0.0.1:{PORT}");
        for path in ["/", "/app.js", "/vendor/leaflet/leaflet.css"] {
            let r = send(get(path).header("host", &host), &s).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(r.headers.get("set-cookie").is_none());
            let r = send(get(path).header("host", format!("evil.example:{PORT}")), &s).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }
        for path in [
            "/api/state",
            "/api/events?since=0",
            "/api",
            "/api/nothing",
            &format!("/api/state?token={TOKEN}"),
        ] {
            let r = send(get(path).header("host", &host), &s).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        }
    }

    /// An address printed before the token moved to the fragment still opens the page,
    /// with the token in the fragment and no cookie.
    #[tokio::test]
    async fn an_old_query_token_address_is_sent_to_the_fragment() {
        let s = loopback();
        let host = format!("127.0.0.1:{PORT}");
        for token in [TOKEN, VIEW_TOKEN] {
            let r = send(get(&format!("/?token={token}")).header("host", &host), &s).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert_eq!(r.headers["location"], format!("/#token={token}"));
            assert!(r.headers.get("set-cookie").is_none());
        }
        let r = send(get("/?token=wrong").header("host", &host), &s).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.headers.get("location").is_none());
    }

    #[tokio::test]
    async fn host_header_is_checked_before_the_token() {
        let s = loopback();
        let bearer = format!("Bearer {}", s.token);
        for (host, status) in [
            (format!("evil.example:{PORT}"), StatusCode::FORBIDDEN),
            (format!("127.0.0.1:{}", PORT + 1), StatusCode::FORBIDDEN),
            (format!("192.168.1.5:{PORT}"), StatusCode::FORBIDDEN),
            (format!("localhost:{PORT}"), StatusCode::OK),
            (format!("[::1]:{PORT}"), StatusCode::OK),
        ] {
            let r = send(get("/api/state").header("host", &host).header("authorization", &bearer), &s).await;
            assert_eq!(r.status, status, "{host}");
        }
        let r = send(get("/api/state").header("host", format!("evil.example:{PORT}")), &s).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::FORBIDDEN, "foreign Host header refused"));
        let lan = security("0.0.0.0".parse().unwrap());
        let r = send(
            get("/api/state").header("host", format!("192.168.1.5:{PORT}")).header("authorization", &bearer),
            &lan,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = send(
            get("/api/state").header("host", format!("nas.local:{PORT}")).header("authorization", &bearer),
            &lan,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn post_from_another_origin_is_403() {
        let s = loopback();
        let post = |origin: &str| {
            axum::http::Request::post("/api/export")
                .header("host", format!("127.0.0.1:{PORT}"))
                .header("authorization", format!("Bearer {}", s.token))
                .header("origin", origin)
        };
        let r = send(post("http://evil.example"), &s).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send(post(&format!("http://127.0.0.1:{PORT}")), &s).await;
        assert_eq!(r.status, StatusCode::OK);
    }
}
