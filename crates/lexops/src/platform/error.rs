//! The application's one error type and its two renderings: the JSON error envelope of the
//! REST API and the HTML error page. Variants map to status codes here and nowhere else;
//! internal errors are logged with an id and never shown to clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem with one input field.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name, as in the form or JSON body.
    pub field: String,
    /// What is wrong, in plain language.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in to continue")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("some fields are not valid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("stored data failed its integrity check: {0}")]
    Integrity(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return AppError::NotFound("record".into());
        }
        AppError::Internal(e.into())
    }
}

impl From<blobstore::BlobError> for AppError {
    fn from(e: blobstore::BlobError) -> Self {
        match e {
            blobstore::BlobError::NotFound { .. } => AppError::NotFound("document".into()),
            blobstore::BlobError::Integrity { .. } => AppError::Integrity(e.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Integrity(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Validation(_) => "validation_failed",
            AppError::Conflict(_) => "conflict",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Integrity(_) => "integrity_failure",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message shown to the client; internal details are logged instead.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(e) => {
                let id = crate::platform::auth::random_hex(6);
                tracing::error!(error_id = %id, error = %format!("{e:#}"), "internal error");
                format!("Something went wrong on our side (error id {id}). It has been logged.")
            }
            AppError::Integrity(e) => {
                tracing::error!(error = %e, "integrity failure");
                "The stored document failed its integrity check and was not served.".into()
            }
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                    None => s,
                }
            }
        }
    }

    /// Field errors as a map for re-rendering a form with them; any other error is passed on
    /// to become an error page.
    pub fn into_field_map(self) -> Result<std::collections::HashMap<String, String>, PageError> {
        match self {
            AppError::Validation(f) => Ok(f.into_iter().map(|f| (f.field, f.message)).collect()),
            other => Err(PageError(other)),
        }
    }

    /// A validation, conflict or bad-request error as one sentence for a page's error callout;
    /// any other error is passed on to become an error page.
    pub fn into_message(self) -> Result<String, PageError> {
        match self {
            AppError::Validation(f) => Ok(f
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join(" ")),
            AppError::Conflict(m) | AppError::BadRequest(m) => Ok(m),
            other => Err(PageError(other)),
        }
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden("you do not have permission to do this".into())
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
}

/// The JSON error envelope: `{"error": {"code", "message", "fields"}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The body of the error envelope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: unauthorized, forbidden, not_found, validation_failed, conflict, …
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Field-level problems (validation only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// An error rendered as the API's JSON envelope.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fields = match &self.0 {
            AppError::Validation(f) => f.clone(),
            _ => vec![],
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.0.code().into(),
                message: self.0.public_message(),
                fields,
            },
        };
        (self.0.status(), Json(body)).into_response()
    }
}

/// An error rendered as an HTML error page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let (title, message) = match &self.0 {
            AppError::Unauthorized => ("Sign in required".to_string(), self.0.public_message()),
            AppError::Forbidden(_) => ("Access denied".to_string(), self.0.public_message()),
            AppError::NotFound(_) => ("Page not found".to_string(), self.0.public_message()),
            AppError::Validation(f) => (
                "Please correct the form".to_string(),
                f.iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => ("Something went wrong".to_string(), self.0.public_message()),
        };
        super::pages::error_page(status, &title, &message)
    }
}

/// Result alias for API handlers.
pub type ApiResult<T> = Result<T, ApiError>;
/// Result alias for page handlers.
pub type PageResult<T> = Result<T, PageError>;
