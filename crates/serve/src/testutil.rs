//! A fake session and one-request helpers for the unit tests.

use crate::{ApiError, Security, Workbench, router};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, request};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The port the one-request tests pretend to listen on.
pub(crate) const PORT: u16 = 8123;

/// A token that is not the one `new_token` would give, so tests can spell it.
pub(crate) const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// The view token of [`security`].
pub(crate) const VIEW_TOKEN: &str = "fedcba9876543210fedcba9876543210";

/// A session of numbered steps: `edit` appends, `undo`/`redo` move between them; the op
/// `"bad"` is refused and `"panic"` panics (a bug in the CLI's implementation).
#[derive(Default)]
pub(crate) struct FakeBench {
    steps: Vec<Value>,
    undone: Vec<Value>,
    version: u64,
    last_change: Value,
}

impl FakeBench {
    fn answer(&self) -> Value {
        json!({"version": self.version, "steps": self.steps, "can_undo": !self.steps.is_empty(),
               "last_change": self.last_change})
    }

    fn at(&self, version: u64) -> Result<(), ApiError> {
        if version != self.version {
            let message = format!("the session is at version {}, not {version}: reload", self.version);
            return Err(ApiError::Stale { current: self.version, message });
        }
        Ok(())
    }

    fn changed(&mut self, kind: &str, window: Option<&str>) -> Result<Value, ApiError> {
        self.version += 1;
        self.last_change = json!({"version": self.version, "kind": kind, "window": window});
        Ok(self.answer())
    }
}

impl Workbench for FakeBench {
    fn version(&self) -> u64 {
        self.version
    }
    fn state(&self) -> Result<Value, ApiError> {
        Ok(self.answer())
    }
    fn squares(&self, bbox: [f64; 4]) -> Result<Value, ApiError> {
        Ok(json!({"count": 0, "squares": [], "bbox": bbox}))
    }
    fn edit(&mut self, version: u64, step: Value, window: Option<&str>) -> Result<Value, ApiError> {
        self.at(version)?;
        match step["op"].as_str() {
            Some("bad") => return Err(ApiError::BadRequest("unknown op \"bad\"".into())),
            Some("panic") => panic!("a bug in the session"),
            _ => {}
        }
        self.steps.push(step);
        self.undone.clear();
        self.changed("edit", window)
    }
    fn undo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
        self.at(version)?;
        let step = self.steps.pop().ok_or_else(|| ApiError::BadRequest("nothing to undo".into()))?;
        self.undone.push(step);
        self.changed("undo", window)
    }
    fn redo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
        self.at(version)?;
        let step = self.undone.pop().ok_or_else(|| ApiError::BadRequest("nothing to redo".into()))?;
        self.steps.push(step);
        self.changed("redo", window)
    }
    fn edits_toml(&self) -> Result<String, ApiError> {
        Ok(format!("# {} steps\n", self.steps.len()))
    }
    fn compare(&self) -> Result<Value, ApiError> {
        Ok(json!({"rows": []}))
    }
    fn export(&self, request: Value) -> Result<crate::ExportJob, ApiError> {
        Ok(Box::new(move || Ok(json!({"dir": "/tmp/export", "asked": request}))))
    }
}

/// Checks for a server on `listen`:[`PORT`] with [`TOKEN`].
pub(crate) fn security(listen: std::net::IpAddr) -> Security {
    let mut security = Security::new(TOKEN, std::net::SocketAddr::new(listen, PORT));
    security.view_token = VIEW_TOKEN.into();
    security
}

/// A GET of `uri`, to finish with headers.
pub(crate) fn get(uri: &str) -> request::Builder {
    Request::get(uri)
}

/// A POST of `uri` from the page itself: right Host, Origin and token.
pub(crate) fn post(uri: &str) -> request::Builder {
    Request::post(uri)
        .header("host", format!("127.0.0.1:{PORT}"))
        .header("origin", format!("http://127.0.0.1:{PORT}"))
        .header("authorization", format!("Bearer {TOKEN}"))
}

/// A GET of `uri` from the page itself, with the edit token.
pub(crate) fn page_get(uri: &str) -> request::Builder {
    get(uri).header("host", format!("127.0.0.1:{PORT}")).header("authorization", format!("Bearer {TOKEN}"))
}

/// A request of `uri` from the read-only page: right Host and Origin, the view token.
pub(crate) fn viewer(method: &str, uri: &str) -> request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", format!("127.0.0.1:{PORT}"))
        .header("origin", format!("http://127.0.0.1:{PORT}"))
        .header("authorization", format!("Bearer {VIEW_TOKEN}"))
}

/// An answer, its body read as text.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The body as JSON (panics when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Sends one bodiless request to a fresh router over a [`FakeBench`].
pub(crate) async fn send(request: request::Builder, security: &Security) -> Answer {
    send_body(request, Body::empty(), security).await
}

/// Sends one request to a fresh router over a [`FakeBench`].
pub(crate) async fn send_body(
    request: request::Builder,
    body: impl Into<Body>,
    security: &Security,
) -> Answer {
    let app = router(FakeBench::default(), security.clone());
    let response = app.oneshot(request.body(body.into()).unwrap()).await.unwrap();
    read(response).await
}

/// Status, headers and text of a response.
pub(crate) async fn read(response: axum::response::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    // Lossy: the page's images are not text.
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}
