//! OBS failures, each one line naming the request (DESIGN §8).
//!
//! No variant ever holds a password or an `Authorization` header.

/// Why a request to OBS (or reading its credentials) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObsError {
    /// OBS answered with a `<status>` error.
    #[error("OBS error {code}: {summary} (HTTP {status}, GET {path})")]
    Api {
        /// The status code word or number.
        code: String,
        /// Its summary.
        summary: String,
        /// The HTTP status.
        status: u16,
        /// The request path.
        path: String,
    },
    /// 401: the credentials were refused.
    #[error("authentication failed for {user} at {apiurl} (HTTP 401): check {source_hint}")]
    Authentication {
        /// The user name sent.
        user: String,
        /// The API URL.
        apiurl: String,
        /// Where the credentials came from.
        source_hint: String,
    },
    /// An error status without a `<status>` body (a proxy's HTML page).
    #[error("OBS answered HTTP {status} for GET {path}: {snippet}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The request path.
        path: String,
        /// The first bytes of the body.
        snippet: String,
    },
    /// A 200 body that is not the expected XML.
    #[error("OBS returned malformed XML for GET {path}: {snippet}")]
    MalformedXml {
        /// The request path.
        path: String,
        /// The first bytes of the body.
        snippet: String,
    },
    /// No answer within the timeout, after the retries.
    #[error("OBS did not answer within {seconds} s: GET {path}")]
    Timeout {
        /// The timeout per try.
        seconds: u64,
        /// The request path.
        path: String,
    },
    /// The connection failed, after the retries.
    #[error("cannot reach OBS at {apiurl}: {reason} (GET {path})")]
    Connect {
        /// The API URL.
        apiurl: String,
        /// Why.
        reason: String,
        /// The request path.
        path: String,
    },
    /// A `view=cpioheaders` answer that does not give every header.
    #[error("OBS did not give the RPM headers asked for (GET {request}): {reason}")]
    Headers {
        /// The request (path, query, which binaries).
        request: String,
        /// What was wrong (`.errors` text, truncation, a bad member).
        reason: String,
    },
    /// No usable credentials.
    #[error("{0}")]
    Credentials(String),
    /// oscrc could not be read or understood.
    #[error("{0}")]
    Config(String),
}

impl ObsError {
    /// The same error naming `request` (a path with what it asked for)
    /// instead of the bare path.
    pub fn for_request(self, request: &str) -> Self {
        let request = request.to_owned();
        match self {
            Self::Api {
                code,
                summary,
                status,
                ..
            } => Self::Api {
                code,
                summary,
                status,
                path: request,
            },
            Self::Http {
                status, snippet, ..
            } => Self::Http {
                status,
                path: request,
                snippet,
            },
            Self::Timeout { seconds, .. } => Self::Timeout {
                seconds,
                path: request,
            },
            Self::Connect { apiurl, reason, .. } => Self::Connect {
                apiurl,
                reason,
                path: request,
            },
            other => other,
        }
    }
}

/// The first bytes of a body, on one line, for an error message.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.is_empty() {
        "<empty body>".to_owned()
    } else if body.len() > 120 {
        format!("{one_line}…")
    } else {
        one_line
    }
}
