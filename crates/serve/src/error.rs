//! The two errors of the crate: [`ApiError`], what a [`Workbench`](crate::Workbench) call
//! answers and how it becomes an HTTP status with a JSON body; and [`ServeError`], why the
//! server could not start or stopped, worded for the person who typed `qpv serve`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// A request the session cannot honour. Every variant answers `{"error": message}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request names something impossible (bad step, bad bbox, nothing to undo).
    /// The message names the problem and the fix.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the edit was made on an old version of the state (another tab, a lost answer);
    /// the body also carries `"version": current` so that the page can reload.
    #[error("{message}")]
    Stale {
        /// The session's current version.
        current: u64,
        /// What to tell the person.
        message: String,
    },
    /// 500: a bug or an I/O failure of the session.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Stale { .. } => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match &self {
            ApiError::Stale { current, message } => {
                serde_json::json!({"error": message, "version": current})
            }
            other => serde_json::json!({"error": other.to_string()}),
        };
        json_response(self.status(), &body)
    }
}

/// A JSON answer with its content type (axum's `Json` would bring serde's derive for
/// nothing: every answer here is already a `serde_json::Value`).
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Why `serve` could not start, or why it stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {}", listen_problem(.error))]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system answered.
        error: std::io::Error,
    },
    /// The token given is unfit for a URL and a header.
    #[error(
        "bad token: use 1 to 256 characters among A-Z, a-z, 0-9, '-', '_', '.' and '~' \
         (it goes into a URL and a header), or no token for a random one"
    )]
    BadToken,
    /// The view token given is the edit token: the read-only link would edit.
    #[error("the view token is the edit token: give another --view-token, or none for a random one")]
    SameTokens,
    /// The basemap's origin cannot be put into the page's Content-Security-Policy.
    #[error(
        "bad tile origin {0:?}: expected scheme://host[:port] (such as \
         https://tile.openstreetmap.org), which `tile_origin` derives from a --tiles URL"
    )]
    BadTileOrigin(String),
    /// The runtime's threads could not be started.
    #[error("cannot start the server's threads: {0}")]
    Runtime(std::io::Error),
}

/// The system's answer to a failed bind, with what to type instead.
fn listen_problem(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::AddrInUse => "address in use; pass --port N or --port 0".into(),
        ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges); pass --port N or --port 0".into()
        }
        ErrorKind::AddrNotAvailable => {
            "no interface of this machine has this address; pass --listen 127.0.0.1".into()
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_error_names_the_address_and_the_fix() {
        let e = ServeError::Listen {
            addr: "127.0.0.1:8000".parse().unwrap(),
            error: std::io::ErrorKind::AddrInUse.into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot listen on 127.0.0.1:8000: address in use; pass --port N or --port 0"
        );
    }

    #[test]
    fn stale_carries_the_current_version() {
        let e = ApiError::Stale { current: 7, message: "the state changed".into() };
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.to_string(), "the state changed");
    }
}
