//! Errors as OpenAI's API returns them: a status and `{"error": {"message", "type", "code"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`, `server_error`, ...
    pub kind: &'static str,
    pub code: Option<&'static str>,
    /// Seconds a client should wait before trying again (a full queue).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// 400: the request is wrong; `message` says which field and what was expected.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: message.into(), kind: "invalid_request_error", code: None, retry_after: None }
    }

    /// 400 naming the field (`param`) that is wrong.
    pub fn invalid_field(field: &str, message: impl std::fmt::Display) -> Self {
        Self::invalid(format!("`{field}`: {message}"))
    }

    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: "missing or wrong API key: send `Authorization: Bearer KEY` with the key the server was started with".into(),
            kind: "authentication_error",
            code: Some("invalid_api_key"),
            retry_after: None,
        }
    }

    pub fn not_found(path: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("no endpoint {path} (GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /health)"),
            kind: "invalid_request_error",
            code: Some("not_found"),
            retry_after: None,
        }
    }

    pub fn queue_full(max_queue: usize) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!("the server is busy: {max_queue} requests are already waiting; retry shortly"),
            kind: "server_error",
            code: Some("queue_full"),
            retry_after: Some(1),
        }
    }

    /// 500: this request failed inside the server (the server keeps serving).
    pub fn internal(message: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into(), kind: "server_error", code: None, retry_after: None }
    }

    pub fn too_large(limit: usize) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("the request body is larger than {limit} bytes"),
            kind: "invalid_request_error",
            code: Some("request_too_large"),
            retry_after: None,
        }
    }

    /// The JSON body OpenAI's clients parse.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"message": self.message, "type": self.kind, "param": null, "code": self.code}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
