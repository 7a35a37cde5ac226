/*!
The HTTP layer of `qpv serve`: a page on `127.0.0.1` where a person edits perimeters in the
browser, talking to one session through the JSON API of `API.md` (beside this crate's
`Cargo.toml`, the contract shared with the page and the tests).

This crate knows nothing of the method: the CLI implements [`Workbench`] over its session
(steps, undo, the adjustments file, exports) and calls [`serve`]. What is here is what any
local server opened from a terminal needs to be safe in a browser that also visits other
sites: two random tokens sent as `Authorization: Bearer` (an edit one, and a view one for the
read-only link, refused on every write), never a cookie; the `Host` check against DNS
rebinding, the `Origin` check on POSTs, a body limit, and a Content-Security-Policy that
keeps the page off the network but for this server and the basemap's tiles
([`security`]); the routes, which parse and check what the session receives ([`router`]),
and tell every open page of a change (`GET /api/events`, a long poll that waits without
holding the session); connection and header timeouts ([`serve`]); and the page itself,
embedded in the binary.

Calls to the [`Workbench`] are one at a time, on tokio's blocking pool; an export only takes
what it needs from the session and writes without it ([`ExportJob`]). Every write carries
the version it was made on (a second window's stale undo is refused with 409, as its stale
edit) and the window it came from, which the session records in its `last_change`.

# Example

A session that only counts its steps: a page undoes on a version another window has
already changed, and is refused.

```
use qpv_serve::{router, ApiError, ExportJob, Security, Workbench};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Steps(u64);

impl Workbench for Steps {
    fn version(&self) -> u64 { self.0 }
    fn state(&self) -> Result<Value, ApiError> { Ok(json!({"version": self.0, "last_change": null})) }
    fn squares(&self, _bbox: [f64; 4]) -> Result<Value, ApiError> { Ok(json!({"count": 0, "squares": []})) }
    fn edit(&mut self, version: u64, _step: Value, _window: Option<&str>) -> Result<Value, ApiError> {
        self.write(version)
    }
    fn undo(&mut self, version: u64, _window: Option<&str>) -> Result<Value, ApiError> { self.write(version) }
    fn redo(&mut self, version: u64, _window: Option<&str>) -> Result<Value, ApiError> { self.write(version) }
    fn edits_toml(&self) -> Result<String, ApiError> { Ok(String::new()) }
    fn compare(&self) -> Result<Value, ApiError> { Ok(json!({"rows": []})) }
    fn export(&self, _request: Value) -> Result<ExportJob, ApiError> { Ok(Box::new(|| Ok(json!({"files": []})))) }
}

impl Steps {
    fn write(&mut self, version: u64) -> Result<Value, ApiError> {
        if version != self.0 {
            return Err(ApiError::Stale { current: self.0, message: format!("at version {}: reload", self.0) });
        }
        self.0 += 1;
        self.state()
    }
}

let token = qpv_serve::new_token();
let app = router(Steps(3), Security::new(token.clone(), "127.0.0.1:8000".parse()?));
let undo = |version: u64| {
    axum::http::Request::post("/api/undo")
        .header("host", "127.0.0.1:8000")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(json!({"version": version}).to_string()))
};
let runtime = tokio::runtime::Runtime::new()?;
let answer = |request: axum::http::Request<axum::body::Body>| runtime.block_on(async {
    let Ok(response) = app.clone().oneshot(request).await; // a router never fails: it answers
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
    Ok::<_, Box<dyn std::error::Error>>((status, serde_json::from_slice::<Value>(&body)?))
});
assert_eq!(answer(undo(3)?)?, (200, json!({"version": 4, "last_change": null, "access": "edit"})));
// Another window still shows version 3.
assert_eq!(answer(undo(3)?)?, (409, json!({"error": "at version 4: reload", "version": 4})));
# Ok::<(), Box<dyn std::error::Error>>(())
```

A real server: `qpv_serve::serve(ServeConfig::default(), session, |_, addresses|
eprintln!("qpv serve: open {}", addresses.edit))` blocks until Ctrl-C.
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
pub use api::{EVENTS_WAIT, WINDOW_HEADER};
pub use error::{ApiError, ServeError};
pub use security::{Access, DEFAULT_BODY_LIMIT, Security, new_token, tile_origin};
pub use server::{Addresses, DEFAULT_LISTEN, DEFAULT_PORT, ServeConfig, serve, serve_until};

use serde_json::Value;

/// What the server asks of the session; implemented by the CLI. Calls are serialised by the
/// server (one at a time, behind a `Mutex`, run on tokio's blocking pool with
/// `spawn_blocking`), so an implementation may take seconds and needs no locking of its own.
/// Each answer is the JSON body of API.md for its route.
///
/// The state (that of `state` and of every write) holds `version` and `last_change` (API.md):
/// the server tells them to the long polls of `GET /api/events` after each write. `window`
/// is the `X-Qpv-Window` of a write, already checked: the session records it in
/// `last_change`.
pub trait Workbench: Send + 'static {
    /// The current version, read once when the router is made.
    fn version(&self) -> u64;
    /// `GET /api/state`: the whole state, with its `version` and `last_change` (the server
    /// adds `access`).
    fn state(&self) -> Result<Value, ApiError>;
    /// `GET /api/squares`: the squares in `[minlon, minlat, maxlon, maxlat]`, which is
    /// checked already (finite, in range, min below max).
    fn squares(&self, bbox: [f64; 4]) -> Result<Value, ApiError>;
    /// `POST /api/edit`: apply `step` (a JSON object) if `version` is the current one
    /// ([`ApiError::Stale`] otherwise); the new state once the session is on disk.
    fn edit(&mut self, version: u64, step: Value, window: Option<&str>) -> Result<Value, ApiError>;
    /// `POST /api/undo`: take back the last step if `version` is the current one
    /// ([`ApiError::Stale`] otherwise); the new state, or [`ApiError::BadRequest`] with
    /// nothing to undo.
    fn undo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError>;
    /// `POST /api/redo`: as `undo`, the last step undone made again.
    fn redo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError>;
    /// `GET /api/edits.toml`: the session as an adjustments file.
    fn edits_toml(&self) -> Result<String, ApiError>;
    /// `GET /api/compare`: the candidates against the current perimeters.
    fn compare(&self) -> Result<Value, ApiError>;
    /// `POST /api/export`: what writing the outputs takes, taken from the session now
    /// (`request` is the body, a JSON object, `{}` when the body was empty). Not a change
    /// of the session: no version. The job is run after the session is released, so that
    /// the other windows' reads and steps do not wait the seconds an export takes; jobs
    /// run one at a time (they write the same folder).
    fn export(&self, request: Value) -> Result<ExportJob, ApiError>;
}

/// An export taken from the session ([`Workbench::export`]): run on tokio's blocking pool
/// without the session, it writes the files and gives the JSON answer of API.md.
pub type ExportJob = Box<dyn FnOnce() -> Result<Value, ApiError> + Send>;
