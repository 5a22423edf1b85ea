//! The platform's pages: sign-in and second factor, the home dashboard, the user's account
//! (password, TOTP, API tokens) and the administration pages (users, audit trail, jobs and
//! mail). Handlers are thin: they parse the form, call the shared functions of `users`,
//! `auth`, `audit` and `jobs`, and render a template.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::access::{Permission, Role};
use super::audit::{self, VerifyReport};
use super::auth::{self, ApiToken, LoginOutcome, SESSION_COOKIE};
use super::error::{AppError, PageResult};
use super::jobs::{self, Job};
use super::mail::{self, OutboxRow};
use super::time::human;
use super::users::{self, NewUser, User, UserPatch};
use super::web::ui::{FlashKind, Layout, ListParams, PageCtx, Pager, csv_response, thousands};
use super::web::{CSRF_COOKIE, client_ip, redirect_with_flash, set_cookie};

/// The error page, for [`PageError`].
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    #[derive(Template)]
    #[template(path = "error.html")]
    struct ErrorPage<'a> {
        layout: Layout,
        code: u16,
        heading: &'a str,
        message: &'a str,
    }
    let layout = Layout {
        title: heading.to_string(),
        user: None,
        nav: vec![],
        flash: None,
        csrf: String::new(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let page = ErrorPage {
        layout,
        code: status.as_u16(),
        heading,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

/// Fallback for unknown paths.
pub async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// GET /login
pub async fn login_form(ctx: PageCtx, Query(q): Query<NextQuery>) -> PageResult<Response> {
    if ctx.user.is_some() {
        return Ok(Redirect::to(safe_next(&q.next)).into_response());
    }
    ctx.render(LoginPage {
        layout: ctx.layout("Sign in", ""),
        error: None,
        email: String::new(),
        next: q.next,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

fn session_response(ctx: &PageCtx, token: &str, to: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&ctx.app, SESSION_COOKIE, token, None),
    );
    // A new CSRF token with the new session.
    h.append(
        header::SET_COOKIE,
        set_cookie(&ctx.app, CSRF_COOKIE, &auth::random_hex(16), None),
    );
    resp
}

/// POST /login
pub async fn login(
    ctx: PageCtx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult<Response> {
    let ip = client_ip(&headers, Some(peer));
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let app = &ctx.app;
    let outcome = auth::check_login(&app.db, &app.clock, &f.email, &f.password, &ip).await?;
    let again = |status: StatusCode, msg: &str| -> PageResult<Response> {
        let page = LoginPage {
            layout: ctx.layout("Sign in", ""),
            error: Some(msg.into()),
            email: f.email.trim().to_string(),
            next: f.next.clone(),
        };
        let mut r = ctx.render(page)?;
        *r.status_mut() = status;
        Ok(r)
    };
    match outcome {
        LoginOutcome::Invalid => again(StatusCode::UNAUTHORIZED, "Wrong email or password."),
        LoginOutcome::Throttled => again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins. Wait 15 minutes and try again, or ask your administrator.",
        ),
        LoginOutcome::NeedsTotp { user_id } => {
            if let Some(old) = &ctx.auth.session_token {
                auth::delete_session(&app.db, old).await?;
            }
            let token = auth::create_session(&app.db, &app.clock, user_id, true, &ip, ua).await?;
            let to = format!(
                "/login/totp?next={}",
                super::web::url_encode(safe_next(&f.next))
            );
            Ok(session_response(&ctx, &token, &to))
        }
        LoginOutcome::Success {
            user_id,
            needs_totp_setup,
        } => {
            if let Some(old) = &ctx.auth.session_token {
                auth::delete_session(&app.db, old).await?;
            }
            let token = auth::create_session(&app.db, &app.clock, user_id, false, &ip, ua).await?;
            let to = if needs_totp_setup {
                "/account/totp"
            } else {
                safe_next(&f.next)
            };
            Ok(session_response(&ctx, &token, to))
        }
    }
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpLoginPage {
    layout: Layout,
    error: Option<String>,
}

/// GET /login/totp
pub async fn totp_form(ctx: PageCtx) -> PageResult<Response> {
    match &ctx.auth.session {
        Some(s) if s.mfa_pending => ctx.render(TotpLoginPage {
            layout: ctx.layout("Two-factor sign-in", ""),
            error: None,
        }),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    next: String,
}

/// POST /login/totp
pub async fn totp_login(
    ctx: PageCtx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> PageResult<Response> {
    let (Some(s), Some(old)) = (&ctx.auth.session, &ctx.auth.session_token) else {
        return Ok(Redirect::to("/login").into_response());
    };
    if !s.mfa_pending {
        return Ok(Redirect::to("/").into_response());
    }
    let app = &ctx.app;
    let ok = users::verify_totp(app, &s.user.actor(), s.user.id, &f.code, false).await?;
    if !ok {
        // Wrong codes count as failed sign-ins, so the code cannot be guessed.
        let ip = client_ip(&headers, Some(peer));
        let _ = auth::check_login(&app.db, &app.clock, &s.user.email, "", &ip).await;
        let mut r = ctx.render(TotpLoginPage {
            layout: ctx.layout("Two-factor sign-in", ""),
            error: Some(
                "That code is not right. Check the time on your phone and try again.".into(),
            ),
        })?;
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = auth::complete_mfa(
        &app.db,
        &app.clock,
        old,
        s.user.id,
        &client_ip(&headers, Some(peer)),
        ua,
    )
    .await?;
    Ok(session_response(&ctx, &token, safe_next(&f.next)))
}

/// POST /logout
pub async fn logout(ctx: PageCtx) -> PageResult<Response> {
    if let Some(t) = &ctx.auth.session_token {
        auth::delete_session(&ctx.app.db, t).await?;
    }
    let mut resp = redirect_with_flash(&ctx.app, "/login", FlashKind::Info, "You have signed out.");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&ctx.app, SESSION_COOKIE, "", Some(0)),
    );
    Ok(resp)
}

/// A figure on a dashboard.
pub struct Stat {
    pub label: &'static str,
    pub value: String,
    pub meta: String,
}

struct Activity {
    when: String,
    actor: String,
    action: String,
    object: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    greeting: &'static str,
    first_name: String,
    stats: Vec<Stat>,
    activity: Vec<Activity>,
    can_audit: bool,
}

/// GET / — the home dashboard.
pub async fn home(ctx: PageCtx) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let app = &ctx.app;
    let db = app.db.pool();
    let (active, disabled): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'disabled' THEN 1 ELSE 0 END), 0) FROM users",
    )
    .fetch_one(db)
    .await
    .map_err(AppError::from)?;
    let events: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(db)
        .await
        .map_err(AppError::from)?;
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            .fetch_one(db)
            .await
            .map_err(AppError::from)?;
    let can_audit = user.can(Permission::ViewAudit);
    let mut stats = vec![];
    if user.can(Permission::ViewUsers) {
        stats.push(Stat {
            label: "Active users",
            value: thousands(active),
            meta: format!("{disabled} disabled"),
        });
    }
    if can_audit {
        stats.push(Stat {
            label: "Audit events",
            value: thousands(events),
            meta: "hash-chained".into(),
        });
    }
    if user.can(Permission::ViewJobs) {
        stats.push(Stat {
            label: "Background jobs",
            value: thousands(queued),
            meta: "queued or running".into(),
        });
    }
    stats.push(Stat {
        label: "Your role",
        value: user.role.label().into(),
        meta: user.email.clone(),
    });
    let rows: Vec<(i64, String, String, String, String, String)> = if can_audit {
        sqlx::query_as("SELECT seq, at, actor, action, object_type, object_id FROM audit_events ORDER BY seq DESC LIMIT 8").fetch_all(db).await
    } else {
        sqlx::query_as("SELECT seq, at, actor, action, object_type, object_id FROM audit_events WHERE actor_id = $1 ORDER BY seq DESC LIMIT 8").bind(user.id).fetch_all(db).await
    }
    .map_err(AppError::from)?;
    let activity = rows
        .into_iter()
        .map(|(_, at, actor, action, ty, id)| Activity {
            when: human(&at),
            actor,
            action,
            object: format!("{ty} {id}"),
        })
        .collect();
    let hour = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .hour();
    let greeting = match hour {
        5..=11 => "morning",
        12..=17 => "afternoon",
        _ => "evening",
    };
    let first_name = user
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    ctx.render(HomePage {
        layout: ctx.layout("Home", "home"),
        greeting,
        first_name,
        stats,
        activity,
        can_audit,
    })
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    layout: Layout,
    me: User,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    errors: HashMap<String, String>,
}

async fn account_page(
    ctx: &PageCtx,
    new_token: Option<String>,
    errors: HashMap<String, String>,
    status: StatusCode,
) -> PageResult<Response> {
    let me_id = ctx.user()?.id;
    let me = users::get(&ctx.app, me_id).await?;
    let tokens = auth::list_tokens(&ctx.app.db, me_id)
        .await
        .map_err(AppError::from)?;
    let mut r = ctx.render(AccountPage {
        layout: ctx.layout("My account", "account"),
        me,
        tokens,
        new_token,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /account
pub async fn account(ctx: PageCtx) -> PageResult<Response> {
    account_page(&ctx, None, HashMap::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    password: String,
}

/// POST /account/password
pub async fn change_password(ctx: PageCtx, Form(f): Form<PasswordForm>) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    let phc: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(me.id)
        .fetch_one(ctx.app.db.pool())
        .await
        .map_err(AppError::from)?;
    let current = f.current.clone();
    let good = match phc {
        Some(h) => tokio::task::spawn_blocking(move || auth::verify_password(&current, &h))
            .await
            .unwrap_or(false),
        None => false,
    };
    if !good {
        let errors = HashMap::from([(
            "current".to_string(),
            "This is not your current password.".to_string(),
        )]);
        return account_page(&ctx, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match users::update(
        &ctx.app,
        &me.actor(),
        me.id,
        UserPatch {
            password: Some(f.password),
            ..Default::default()
        },
    )
    .await
    {
        Ok(_) => {
            // Every session was ended by the change; start a fresh one for this browser.
            let token =
                auth::create_session(&ctx.app.db, &ctx.app.clock, me.id, false, "", "").await?;
            let mut resp = redirect_with_flash(
                &ctx.app,
                "/account",
                FlashKind::Success,
                "Password changed. Other sessions were signed out.",
            );
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&ctx.app, SESSION_COOKIE, &token, None),
            );
            Ok(resp)
        }
        Err(e) => {
            account_page(
                &ctx,
                None,
                e.into_field_map()?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    #[serde(default)]
    expires_days: String,
}

/// POST /account/tokens
pub async fn create_token(ctx: PageCtx, Form(f): Form<TokenForm>) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    let days = match f.expires_days.trim() {
        "" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| AppError::field("expires_days", "Choose an expiry."))?,
        ),
    };
    match auth::issue_token(&ctx.app, &me, &f.name, days).await {
        Ok(t) => account_page(&ctx, Some(t.secret), HashMap::new(), StatusCode::OK).await,
        Err(e) => {
            account_page(
                &ctx,
                None,
                e.into_field_map()?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// POST /account/tokens/{id}/revoke
pub async fn revoke_token(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    auth::revoke_token(&ctx.app, &me, id).await?;
    Ok(redirect_with_flash(
        &ctx.app,
        "/account",
        FlashKind::Success,
        "Token revoked.",
    ))
}

#[derive(Template)]
#[template(path = "account/totp.html")]
struct TotpSetupPage {
    layout: Layout,
    secret: String,
    qr: String,
    error: Option<String>,
    required: bool,
}

/// GET /account/totp — starts enrolment with a fresh secret.
pub async fn totp_setup(ctx: PageCtx) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    let u = users::get(&ctx.app, me.id).await?;
    if u.totp_enabled != 0 {
        return Ok(redirect_with_flash(
            &ctx.app,
            "/account",
            FlashKind::Info,
            "Two-factor sign-in is already on.",
        ));
    }
    let secret = users::begin_totp(&ctx.app, me.id).await?;
    let qr = auth::totp::qr_svg(&auth::totp::provisioning_url(&secret, &me.email));
    ctx.render(TotpSetupPage {
        layout: ctx.layout("Two-factor sign-in", "account"),
        secret,
        qr,
        error: None,
        required: u.totp_required != 0,
    })
}

/// POST /account/totp — confirms enrolment with a code.
pub async fn totp_enable(ctx: PageCtx, Form(f): Form<CodeForm>) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    if users::verify_totp(&ctx.app, &me.actor(), me.id, &f.code, true).await? {
        return Ok(redirect_with_flash(
            &ctx.app,
            "/account",
            FlashKind::Success,
            "Two-factor sign-in is on.",
        ));
    }
    let secret = users::totp_secret(&ctx.app, me.id)
        .await?
        .unwrap_or_default();
    let qr = auth::totp::qr_svg(&auth::totp::provisioning_url(&secret, &me.email));
    let u = users::get(&ctx.app, me.id).await?;
    let mut r = ctx.render(TotpSetupPage {
        layout: ctx.layout("Two-factor sign-in", "account"),
        secret,
        qr,
        error: Some("That code is not right: enter the code the app shows now.".into()),
        required: u.totp_required != 0,
    })?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

fn role_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| {
            let what = match r {
                Role::Admin => "everything, including users and settings",
                Role::LegalOps => "runs spend, contracts, records and holds",
                Role::Attorney => "reviews, approves, drafts and issues holds",
                Role::Paralegal => "prepares and reviews work for attorneys",
                Role::Requester => "asks legal for help and follows requests",
                Role::Vendor => "outside counsel: submits invoices in the portal",
                Role::Custodian => "acknowledges legal hold notices",
                Role::Auditor => "reads everything and the audit trail",
            };
            (r.as_str(), r.label(), what)
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct UserFilters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    role: String,
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    pager: Pager,
    params: ListParams,
    role: String,
    status: String,
    roles: Vec<(&'static str, &'static str, &'static str)>,
    can_manage: bool,
}

/// GET /admin/users
pub async fn users_list(ctx: PageCtx, Query(f): Query<UserFilters>) -> PageResult<Response> {
    let p = &f.list;
    let (limit, offset) = p.window();
    let (rows, total) = users::list(
        &ctx.app,
        &p.q,
        &f.role,
        &f.status,
        &p.order_by(users::SORTS),
        limit,
        offset,
    )
    .await?;
    if p.is_csv() {
        return Ok(csv_response(
            "users.csv",
            &[
                "id",
                "email",
                "name",
                "role",
                "status",
                "two_factor",
                "created_at",
            ],
            rows.into_iter().map(|u| {
                vec![
                    u.id.to_string(),
                    u.email,
                    u.name,
                    u.role,
                    u.status,
                    if u.totp_enabled != 0 {
                        "on".into()
                    } else {
                        "off".into()
                    },
                    u.created_at,
                ]
            }),
        ));
    }
    let pager = Pager::new(
        "/admin/users",
        p,
        &[("q", &p.q), ("role", &f.role), ("status", &f.status)],
        total,
        &[
            ("name", "Name", false),
            ("role", "Role", false),
            ("status", "Status", false),
            ("", "Two-factor", false),
            ("created", "Created", false),
            ("", "", false),
        ],
        "name",
    );
    let can_manage = ctx.user()?.can(Permission::ManageUsers);
    ctx.render(UsersPage {
        layout: ctx.layout("Users", "users"),
        users: rows,
        pager,
        params: f.list.clone(),
        role: f.role.clone(),
        status: f.status.clone(),
        roles: role_choices().iter().map(|r| (r.0, r.1, r.2)).collect(),
        can_manage,
    })
}

/// The user form's values.
#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    totp_required: Option<String>,
}

struct FormView {
    email: String,
    name: String,
    role: String,
    totp_required: bool,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    layout: Layout,
    user: Option<User>,
    form: FormView,
    roles: Vec<(&'static str, &'static str, &'static str)>,
    errors: HashMap<String, String>,
}

fn render_user_form(
    ctx: &PageCtx,
    user: Option<User>,
    form: FormView,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if user.is_some() {
        "Edit user"
    } else {
        "New user"
    };
    let mut r = ctx.render(UserFormPage {
        layout: ctx.layout(title, "users"),
        user,
        form,
        roles: role_choices(),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /admin/users/new
pub async fn user_new(ctx: PageCtx) -> PageResult<Response> {
    render_user_form(
        &ctx,
        None,
        FormView {
            email: String::new(),
            name: String::new(),
            role: "attorney".into(),
            totp_required: false,
        },
        HashMap::new(),
    )
}

/// POST /admin/users
pub async fn user_create(ctx: PageCtx, Form(f): Form<UserForm>) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    let new = NewUser {
        email: f.email.clone(),
        name: f.name.clone(),
        role: f.role.clone(),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
        totp_required: f.totp_required.is_some(),
    };
    match users::create(&ctx.app, &me.actor(), new).await {
        Ok(u) => Ok(redirect_with_flash(
            &ctx.app,
            "/admin/users",
            FlashKind::Success,
            &format!("User {} created.", u.name),
        )),
        Err(e) => {
            let view = FormView {
                email: f.email,
                name: f.name,
                role: f.role,
                totp_required: f.totp_required.is_some(),
            };
            render_user_form(&ctx, None, view, e.into_field_map()?)
        }
    }
}

/// GET /admin/users/{id}
pub async fn user_edit(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let u = users::get(&ctx.app, id).await?;
    let view = FormView {
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role.clone(),
        totp_required: u.totp_required != 0,
    };
    render_user_form(&ctx, Some(u), view, HashMap::new())
}

/// POST /admin/users/{id}
pub async fn user_update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> PageResult<Response> {
    let me = ctx.user()?.clone();
    let patch = UserPatch {
        name: Some(f.name.clone()),
        role: Some(f.role.clone()),
        status: Some(f.status.clone()).filter(|s| !s.is_empty()),
        totp_required: Some(f.totp_required.is_some()),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
    };
    match users::update(&ctx.app, &me.actor(), id, patch).await {
        Ok(u) => Ok(redirect_with_flash(
            &ctx.app,
            "/admin/users",
            FlashKind::Success,
            &format!("Saved changes to {}.", u.name),
        )),
        Err(e) => {
            let u = users::get(&ctx.app, id).await?;
            let view = FormView {
                email: u.email.clone(),
                name: f.name,
                role: f.role,
                totp_required: f.totp_required.is_some(),
            };
            render_user_form(&ctx, Some(u), view, e.into_field_map()?)
        }
    }
}

struct EventView {
    seq: i64,
    when: String,
    actor: String,
    action: String,
    object: String,
    change: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    events: Vec<EventView>,
    pager: Pager,
    params: ListParams,
    object_type: String,
    object_types: Vec<String>,
    verify: Option<VerifyReport>,
}

#[derive(Deserialize, Default)]
pub struct AuditFilters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    object_type: String,
}

async fn audit_page(
    ctx: &PageCtx,
    f: &AuditFilters,
    verify: Option<VerifyReport>,
) -> PageResult<Response> {
    let p = &f.list;
    let (limit, offset) = p.window();
    let (rows, total) = audit::list(&ctx.app.db, Some(&f.object_type), Some(&p.q), limit, offset)
        .await
        .map_err(AppError::from)?;
    if p.is_csv() {
        return Ok(csv_response(
            "audit-trail.csv",
            &[
                "seq",
                "at",
                "actor",
                "action",
                "object_type",
                "object_id",
                "before",
                "after",
                "hash",
            ],
            rows.into_iter().map(|e| {
                vec![
                    e.seq.to_string(),
                    e.at,
                    e.actor,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.before_json.unwrap_or_default(),
                    e.after_json.unwrap_or_default(),
                    e.hash,
                ]
            }),
        ));
    }
    let object_types: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT object_type FROM audit_events ORDER BY object_type")
            .fetch_all(ctx.app.db.pool())
            .await
            .map_err(AppError::from)?;
    let pager = Pager::new(
        "/admin/audit",
        p,
        &[("q", &p.q), ("object_type", &f.object_type)],
        total,
        &[],
        "",
    );
    let events = rows
        .into_iter()
        .map(|e| {
            let change = summarize_change(e.before_json.as_deref(), e.after_json.as_deref());
            EventView {
                seq: e.seq,
                when: human(&e.at),
                actor: e.actor,
                action: e.action,
                object: format!("{} {}", e.object_type, e.object_id),
                change,
            }
        })
        .collect();
    ctx.render(AuditPage {
        layout: ctx.layout("Audit trail", "audit"),
        events,
        pager,
        params: f.list.clone(),
        object_type: f.object_type.clone(),
        object_types,
        verify,
    })
}

/// A one-line summary of an audit event's change: the fields that changed (`role: attorney →
/// admin`), or the values of a created or removed object.
pub fn summarize_change(before: Option<&str>, after: Option<&str>) -> String {
    use serde_json::Value;
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<Value>(s).ok());
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = match (parse(before), parse(after)) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| match b.get(k) {
                Some(old) => format!("{k}: {} → {}", show(old), show(v)),
                None => format!("{k}: {}", show(v)),
            })
            .collect::<Vec<_>>()
            .join("; "),
        (None, Some(Value::Object(a))) => a
            .iter()
            .map(|(k, v)| format!("{k}={}", show(v)))
            .collect::<Vec<_>>()
            .join(", "),
        (Some(Value::Object(b)), None) => format!(
            "removed: {}",
            b.iter()
                .map(|(k, v)| format!("{k}={}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (b, a) => format!(
            "{} → {}",
            b.map(|v| v.to_string()).unwrap_or_default(),
            a.map(|v| v.to_string()).unwrap_or_default()
        ),
    };
    if text.chars().count() > 200 {
        text.chars().take(199).collect::<String>() + "…"
    } else {
        text
    }
}

/// GET /admin/audit
pub async fn audit_list(ctx: PageCtx, Query(f): Query<AuditFilters>) -> PageResult<Response> {
    audit_page(&ctx, &f, None).await
}

/// GET /admin/audit/verify — recomputes the chain and shows the outcome.
pub async fn audit_verify(ctx: PageCtx) -> PageResult<Response> {
    let report = audit::verify(&ctx.app.db).await.map_err(AppError::from)?;
    audit_page(&ctx, &AuditFilters::default(), Some(report)).await
}

#[cfg(test)]
mod tests {
    use super::summarize_change;

    #[test]
    fn change_summaries_name_what_changed() {
        assert_eq!(
            summarize_change(
                Some(r#"{"role":"attorney","name":"A"}"#),
                Some(r#"{"role":"admin","name":"A"}"#)
            ),
            "role: attorney → admin"
        );
        assert_eq!(
            summarize_change(None, Some(r#"{"email":"a@b.c","n":1}"#)),
            "email=a@b.c, n=1"
        );
        assert_eq!(
            summarize_change(Some(r#"{"x":true}"#), None),
            "removed: x=true"
        );
    }
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    jobs: Vec<Job>,
    pager: Pager,
    state: String,
    stats: Vec<Stat>,
    mail: Vec<OutboxRow>,
}

#[derive(Deserialize, Default)]
pub struct JobFilters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    state: String,
}

/// GET /admin/jobs
pub async fn jobs_list(ctx: PageCtx, Query(f): Query<JobFilters>) -> PageResult<Response> {
    let p = &f.list;
    let (rows, total) = jobs::list(&ctx.app, &f.state, p.per_page(), p.offset())
        .await
        .map_err(AppError::from)?;
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
            .fetch_all(ctx.app.db.pool())
            .await
            .map_err(AppError::from)?;
    let count = |s: &str| {
        counts
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let pending_mail: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")
            .fetch_one(ctx.app.db.pool())
            .await
            .map_err(AppError::from)?;
    let stats = vec![
        Stat {
            label: "Queued",
            value: thousands(count("queued")),
            meta: "waiting to run".into(),
        },
        Stat {
            label: "Running",
            value: thousands(count("running")),
            meta: "leased by a worker".into(),
        },
        Stat {
            label: "Failed",
            value: thousands(count("failed")),
            meta: "gave up after retries".into(),
        },
        Stat {
            label: "Mail pending",
            value: thousands(pending_mail),
            meta: if ctx.app.settings.smtp_url.is_some() {
                "SMTP configured".into()
            } else {
                "no SMTP server set".into()
            },
        },
    ];
    let pager = Pager::new("/admin/jobs", p, &[("state", &f.state)], total, &[], "");
    let mail = mail::recent(&ctx.app, 20).await.map_err(AppError::from)?;
    ctx.render(JobsPage {
        layout: ctx.layout("Jobs & mail", "jobs"),
        jobs: rows,
        pager,
        state: f.state.clone(),
        stats,
        mail,
    })
}
