/*!
The HTTP layer of `qpv serve`: a page on `127.0.0.1` where a person edits perimeters in the
browser, talking to one session through the JSON API of `API.md` (beside this crate's
`Cargo.toml`, the contract shared with the page and the tests).

This crate knows nothing of the method: the CLI implements [`Workbench`] over its session
(steps, undo, the adjustments file, exports) and calls [`serve`]. What is here is what any
local server opened from a terminal needs to be safe in a browser that also visits other
sites: a random session token (cookie, bearer or `?token=`), the `Host` check against DNS
rebinding, the `Origin` check on POSTs, a body limit, and a Content-Security-Policy that
keeps the page off the network but for this server and the basemap's tiles
([`security`]); the routes, which parse and check what the session receives ([`router`]);
and the page itself, embedded in the binary.

Calls to the [`Workbench`] are one at a time, on tokio's blocking pool.

# Example

A session that only counts its steps, asked for its state as the page would be.

```
use qpv_serve::{router, ApiError, Security, Workbench};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Steps(u64);

impl Workbench for Steps {
    fn state(&self) -> Result<Value, ApiError> { Ok(json!({"version": self.0})) }
    fn squares(&self, _bbox: [f64; 4]) -> Result<Value, ApiError> { Ok(json!({"count": 0, "squares": []})) }
    fn edit(&mut self, version: u64, _step: Value) -> Result<Value, ApiError> {
        if version != self.0 {
            return Err(ApiError::Stale { current: self.0, message: "reload".into() });
        }
        self.0 += 1;
        self.state()
    }
    fn undo(&mut self) -> Result<Value, ApiError> { Err(ApiError::BadRequest("nothing to undo".into())) }
    fn redo(&mut self) -> Result<Value, ApiError> { Err(ApiError::BadRequest("nothing to redo".into())) }
    fn edits_toml(&self) -> Result<String, ApiError> { Ok(String::new()) }
    fn compare(&self) -> Result<Value, ApiError> { Ok(json!({"rows": []})) }
    fn export(&mut self, _request: Value) -> Result<Value, ApiError> { Ok(json!({"files": []})) }
}

let token = qpv_serve::new_token();
let app = router(Steps(3), Security::new(token.clone(), "127.0.0.1:8000".parse()?));
let request = axum::http::Request::get("/api/state")
    .header("host", "127.0.0.1:8000")
    .header("authorization", format!("Bearer {token}"))
    .body(axum::body::Body::empty())?;
let body = tokio::runtime::Runtime::new()?.block_on(async {
    let Ok(response) = app.oneshot(request).await; // a router never fails: it answers
    axum::body::to_bytes(response.into_body(), 1 << 20).await
})?;
assert_eq!(&body[..], br#"{"version":3}"#);
# Ok::<(), Box<dyn std::error::Error>>(())
```

A real server: `qpv_serve::serve(ServeConfig::default(), session, |_, url| eprintln!("qpv
serve: open {url}"))` blocks until Ctrl-C.
*/
#![deny(missing_docs)]

mod api;
pub mod error;
mod page;
pub mod security;
mod server;
#[cfg(test)]
mod testutil;

pub use api::router;
pub use error::{ApiError, ServeError};
pub use security::{DEFAULT_BODY_LIMIT, Security, new_token, tile_origin};
pub use server::{DEFAULT_LISTEN, DEFAULT_PORT, ServeConfig, serve, serve_until};

use serde_json::Value;

/// What the server asks of the session; implemented by the CLI. Calls are serialised by the
/// server (one at a time, behind a `Mutex`, run on tokio's blocking pool with
/// `spawn_blocking`), so an implementation may take seconds and needs no locking of its own.
/// Each answer is the JSON body of API.md for its route.
pub trait Workbench: Send + 'static {
    /// `GET /api/state`: the whole state, with its `version`.
    fn state(&self) -> Result<Value, ApiError>;
    /// `GET /api/squares`: the squares in `[minlon, minlat, maxlon, maxlat]`, which is
    /// checked already (finite, in range, min below max).
    fn squares(&self, bbox: [f64; 4]) -> Result<Value, ApiError>;
    /// `POST /api/edit`: apply `step` (a JSON object) if `version` is the current one
    /// ([`ApiError::Stale`] otherwise); the new state once the session is on disk.
    fn edit(&mut self, version: u64, step: Value) -> Result<Value, ApiError>;
    /// `POST /api/undo`: the new state, or [`ApiError::BadRequest`] with nothing to undo.
    fn undo(&mut self) -> Result<Value, ApiError>;
    /// `POST /api/redo`: the new state, or [`ApiError::BadRequest`] with nothing to redo.
    fn redo(&mut self) -> Result<Value, ApiError>;
    /// `GET /api/edits.toml`: the session as an adjustments file.
    fn edits_toml(&self) -> Result<String, ApiError>;
    /// `GET /api/compare`: the candidates against the current perimeters.
    fn compare(&self) -> Result<Value, ApiError>;
    /// `POST /api/export`: write the outputs; `request` is the body, a JSON object (`{}`
    /// when the body was empty).
    fn export(&mut self, request: Value) -> Result<Value, ApiError>;
}
