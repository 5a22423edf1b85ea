//! The web shell's plumbing: cookies, the request context (who is signed in, the CSRF token),
//! the global middleware (authentication, CSRF, security headers) and the per-route policy
//! check. Page building blocks (layout, tables, flash messages) are in [`ui`].

pub mod icons;
pub mod ui;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::access::{CurrentUser, Policy};
use super::app::App;
use super::auth::{self, SESSION_COOKIE, Session};
use super::error::{ApiError, AppError, PageError};

/// Cookie holding the CSRF token (double-submit: forms and htmx send the same value).
pub const CSRF_COOKIE: &str = "lexops_csrf";
/// Cookie carrying a one-time flash message across a redirect.
pub const FLASH_COOKIE: &str = "lexops_flash";

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with our flags: HttpOnly, SameSite=Lax, Path=/, Secure when served
/// over https.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age {
        s.push_str(&format!("; Max-Age={a}"));
    }
    if app.settings.secure_cookies() {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).expect("cookie values are hex or url-encoded")
}

/// Who is behind a request: set by [`authenticate`] for every request.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    /// A browser session (possibly waiting for its second factor).
    pub session: Option<Session>,
    /// The raw session token (to end or rotate it).
    pub session_token: Option<String>,
    /// A user signed in by API token.
    pub token_user: Option<CurrentUser>,
}

impl Auth {
    /// The fully signed-in user, if any.
    pub fn user(&self) -> Option<&CurrentUser> {
        if let Some(u) = &self.token_user {
            return Some(u);
        }
        self.session
            .as_ref()
            .filter(|s| !s.mfa_pending && !s.must_enroll_totp)
            .map(|s| &s.user)
    }
}

/// The request's CSRF token, for forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// The client's address, for throttling and session records.
pub fn client_ip(req_headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> String {
    let _ = req_headers;
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/v1")
}

/// Global middleware: resolves the session cookie (pages) or bearer token (API).
pub async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let mut auth = Auth::default();
    let path = req.uri().path().to_string();
    if is_api(&path) {
        if let Some(h) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            && let Some(tok) = h.strip_prefix("Bearer ")
        {
            match auth::user_for_token(&app.db, &app.clock, tok.trim()).await {
                Ok(u) => auth.token_user = u,
                Err(e) => return ApiError(e.into()).into_response(),
            }
        }
    } else if let Some(tok) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string)
        && tok.len() == 64
    {
        match auth::load_session(
            &app.db,
            &app.clock,
            &tok,
            app.settings.session_idle_minutes,
            app.settings.session_absolute_hours,
        )
        .await
        {
            Ok(s) => {
                auth.session = s;
                auth.session_token = Some(tok);
            }
            Err(e) => return PageError(e.into()).into_response(),
        }
    }
    req.extensions_mut().insert(auth);
    next.run(req).await
}

/// Global middleware: every state-changing request to a page must carry the CSRF token from
/// its cookie, in the `X-CSRF-Token` header (htmx, multipart uploads) or the `_csrf` form
/// field. API requests are exempt: they authenticate by bearer token, never by cookie.
pub async fn csrf(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let cookie_token = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| t.len() == 32)
        .map(str::to_string);
    let (token, new_cookie) = match cookie_token {
        Some(t) => (t, false),
        None => (auth::random_hex(16), true),
    };
    let needs_check =
        !is_api(&path) && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if needs_check {
        let header_token = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let ok = if new_cookie {
            false
        } else if let Some(h) = header_token {
            constant_eq(&h, &token)
        } else {
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
            let is_multipart = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("multipart/form-data"));
            if is_multipart {
                // File uploads from plain HTML forms carry the token in the action URL.
                req.uri()
                    .query()
                    .and_then(|q| form_field(q.as_bytes(), "_csrf"))
                    .is_some_and(|v| constant_eq(&v, &token))
            } else if is_form {
                let (parts, body) = req.into_parts();
                let bytes = match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
                    Ok(b) => b,
                    Err(_) => {
                        return PageError(AppError::BadRequest("the form is too large".into()))
                            .into_response();
                    }
                };
                let found = form_field(&bytes, "_csrf").is_some_and(|v| constant_eq(&v, &token));
                req = Request::from_parts(parts, Body::from(bytes));
                found
            } else {
                false
            }
        };
        if !ok {
            return PageError(AppError::Forbidden(
                "this form has expired or did not come from lexops: go back, reload the page and try again".into(),
            ))
            .into_response();
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if new_cookie {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&app, CSRF_COOKIE, &token, None),
        );
    }
    resp
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Global middleware: security headers on every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        );
    }
    resp
}

/// Whether a route serves pages or the JSON API (decides how refusals look).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Page,
    Api,
}

/// Per-route middleware: enforces the route's [`Policy`] before its handler runs.
pub async fn enforce(policy: Policy, surface: Surface, req: Request, next: Next) -> Response {
    let Policy::Requires(perm) = policy else {
        return next.run(req).await;
    };
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    // A user whom an admin requires to enrol a second factor may reach the enrolment page
    // (and nothing else) before enrolling.
    let enrolling = auth
        .session
        .as_ref()
        .filter(|s| {
            !s.mfa_pending && s.must_enroll_totp && req.uri().path().starts_with("/account/totp")
        })
        .map(|s| &s.user);
    match (auth.user().or(enrolling), surface) {
        (Some(u), _) if u.can(perm) => next.run(req).await,
        (Some(_), Surface::Api) => ApiError(AppError::forbidden()).into_response(),
        (Some(_), Surface::Page) => PageError(AppError::forbidden()).into_response(),
        (None, Surface::Api) => ApiError(AppError::Unauthorized).into_response(),
        (None, Surface::Page) => {
            if let Some(s) = &auth.session {
                if s.mfa_pending {
                    return Redirect::to("/login/totp").into_response();
                }
                if s.must_enroll_totp {
                    return Redirect::to("/account/totp").into_response();
                }
            }
            if req.method() == Method::GET {
                let next_url = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", url_encode(next_url));
                Redirect::to(&target).into_response()
            } else {
                (StatusCode::UNAUTHORIZED, PageError(AppError::Unauthorized)).into_response()
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|e| e[2..].to_string())
        .unwrap_or_default()
}

/// A redirect that carries a flash message to the next page.
pub fn redirect_with_flash(app: &App, to: &str, kind: ui::FlashKind, message: &str) -> Response {
    let value = url_encode(&format!("{}:{}", kind.as_str(), message));
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(app, FLASH_COOKIE, &value, Some(60)),
    );
    resp
}

/// Back to `to` with the error as an error flash, when it is one a person can act on
/// (validation, conflict, bad request); any other error becomes an error page.
pub fn redirect_with_error(app: &App, to: &str, e: AppError) -> Result<Response, PageError> {
    let m = e.into_message()?;
    Ok(redirect_with_flash(app, to, ui::FlashKind::Error, &m))
}

/// One part of a multipart form: a file (with its name and type) or a text field.
pub struct UploadPart {
    pub field: String,
    /// The file's name as sent (`None` for a text field).
    pub file_name: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl UploadPart {
    /// The part as text (for a form field).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads every part of a multipart upload (the one way pages read uploads).
pub async fn read_upload(
    mut multipart: axum::extract::Multipart,
) -> Result<Vec<UploadPart>, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("the upload could not be read: {e}"))
    };
    let mut parts = vec![];
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
        parts.push(UploadPart {
            field: name,
            file_name,
            content_type,
            bytes,
        });
    }
    Ok(parts)
}

/// The first non-empty file sent as `field`: (its name, or `default_name`; its bytes).
pub async fn read_one_file(
    multipart: axum::extract::Multipart,
    field: &str,
    default_name: &str,
) -> Result<Option<(String, Vec<u8>)>, AppError> {
    Ok(read_upload(multipart)
        .await?
        .into_iter()
        .find(|p| p.field == field && !p.bytes.is_empty())
        .map(|p| {
            (
                p.file_name
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| default_name.to_string()),
                p.bytes,
            )
        }))
}

/// An uploaded file's name as we keep it: the last path component (browsers and scripts may send
/// a whole path), without control characters or quotes, at most 200 characters; `document`
/// when nothing is left.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let t = cleaned.trim().trim_start_matches('.').trim();
    if t.is_empty() {
        "document".into()
    } else {
        t.to_string()
    }
}

/// A file download: `application/octet-stream`, never sniffed, with a header-safe file name.
pub fn attachment(filename: &str, bytes: Vec<u8>) -> Response {
    let safe_name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut resp = axum::body::Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}
