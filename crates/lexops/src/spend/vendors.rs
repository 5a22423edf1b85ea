//! Vendor master data: vendors, their users, timekeepers and effective-dated approved rates,
//! matter assignments, rate requests, budgets and accruals. SQL and the checks that go with it;
//! every change is audited. A vendor user only ever reaches their own firm's rows.

use serde_json::json;

use super::model::{
    Accrual, Assignment, Budget, Rate, RateRequest, Timekeeper, Vendor, VendorInput,
};
use super::money;
use crate::App;
use crate::platform::access::{CurrentUser, Role};
use crate::platform::audit::{self, Change};
use crate::platform::db::is_unique_violation;
use crate::platform::error::{AppError, FieldError};

/// The firm a user is limited to: `Some(id)` for vendor users (`Some(-1)` if not linked to
/// any firm, which matches nothing), `None` for department staff.
pub fn vendor_scope(user: &CurrentUser) -> Option<i64> {
    (user.role == Role::Vendor).then(|| user.vendor_id.unwrap_or(-1))
}

fn today(app: &App) -> String {
    app.clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

const VENDOR_COLS: &str = "id, name, law_firm_id, status, offices, billing_contact, billing_email, currency, created_at, updated_at";

fn check_vendor(v: &VendorInput) -> Result<VendorInput, AppError> {
    let mut errs = vec![];
    let name = v.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        errs.push(FieldError::new(
            "name",
            "Enter the firm's name (1 to 200 characters).",
        ));
    }
    let law_firm_id = v.law_firm_id.trim().to_string();
    if law_firm_id.is_empty() || law_firm_id.chars().count() > 20 {
        errs.push(FieldError::new(
            "law_firm_id",
            "Enter the firm's tax id as it appears in LAW_FIRM_ID (1 to 20 characters).",
        ));
    }
    let status = if v.status.trim().is_empty() {
        "active".to_string()
    } else {
        v.status.trim().to_string()
    };
    if status != "active" && status != "inactive" {
        errs.push(FieldError::new("status", "Choose active or inactive."));
    }
    let currency = if v.currency.trim().is_empty() {
        "USD".to_string()
    } else {
        v.currency.trim().to_ascii_uppercase()
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        errs.push(FieldError::new(
            "currency",
            "Use a three-letter ISO 4217 code such as USD or EUR.",
        ));
    }
    let email = v.billing_email.trim().to_lowercase();
    if !email.is_empty() && !email.contains('@') {
        errs.push(FieldError::new(
            "billing_email",
            "Enter an email address like billing@firm.com.",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    Ok(VendorInput {
        name,
        law_firm_id,
        status,
        offices: v.offices.trim().to_string(),
        billing_contact: v.billing_contact.trim().to_string(),
        billing_email: email,
        currency,
    })
}

fn vendor_view(v: &VendorInput) -> serde_json::Value {
    json!({"name": v.name, "law_firm_id": v.law_firm_id, "status": v.status, "offices": v.offices,
           "billing_contact": v.billing_contact, "billing_email": v.billing_email, "currency": v.currency})
}

fn unique(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e) {
        let m = e.to_string();
        if m.contains("law_firm_id") {
            AppError::field("law_firm_id", "Another vendor already has this tax id.")
        } else {
            AppError::field("name", "Another vendor already has this name.")
        }
    } else {
        e.into()
    }
}

/// Vendors visible to the user, by name, with a text filter.
pub async fn list(
    app: &App,
    user: &CurrentUser,
    q: &str,
    status: &str,
) -> Result<Vec<Vendor>, AppError> {
    let like = if q.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", q.trim().to_lowercase())
    };
    Ok(sqlx::query_as::<_, Vendor>(sqlx::AssertSqlSafe(format!(
        "SELECT {VENDOR_COLS} FROM vendors WHERE ($1 = '' OR LOWER(name) LIKE $1 OR LOWER(law_firm_id) LIKE $1) AND ($2 = '' OR status = $2) \
         AND ($3 < 0 OR id = $3) ORDER BY name"
    )))
    .bind(&like)
    .bind(status)
    .bind(vendor_scope(user).map(|v| v.max(0)).unwrap_or(-1))
    .fetch_all(app.db.pool())
    .await?)
}

/// One vendor, if the user may see it.
pub async fn get(app: &App, user: &CurrentUser, id: i64) -> Result<Vendor, AppError> {
    if let Some(scope) = vendor_scope(user)
        && scope != id
    {
        return Err(AppError::NotFound("vendor".into()));
    }
    sqlx::query_as::<_, Vendor>(sqlx::AssertSqlSafe(format!(
        "SELECT {VENDOR_COLS} FROM vendors WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("vendor".into()))
}

/// Creates a vendor.
pub async fn create(
    app: &App,
    user: &CurrentUser,
    input: &VendorInput,
) -> Result<Vendor, AppError> {
    let v = check_vendor(input)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vendors (name, law_firm_id, status, offices, billing_contact, billing_email, currency, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&v.name)
    .bind(&v.law_firm_id)
    .bind(&v.status)
    .bind(&v.offices)
    .bind(&v.billing_contact)
    .bind(&v.billing_email)
    .bind(&v.currency)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(unique)?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "vendor.create",
            object_type: "vendor",
            object_id: id.to_string(),
            before: None,
            after: Some(vendor_view(&v)),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, user, id).await
}

/// Replaces a vendor's fields.
pub async fn update(
    app: &App,
    user: &CurrentUser,
    id: i64,
    input: &VendorInput,
) -> Result<Vendor, AppError> {
    let before = get(app, user, id).await?;
    let v = check_vendor(input)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE vendors SET name = $1, law_firm_id = $2, status = $3, offices = $4, billing_contact = $5, billing_email = $6, currency = $7, updated_at = $8 WHERE id = $9")
        .bind(&v.name)
        .bind(&v.law_firm_id)
        .bind(&v.status)
        .bind(&v.offices)
        .bind(&v.billing_contact)
        .bind(&v.billing_email)
        .bind(&v.currency)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(unique)?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "vendor.update",
            object_type: "vendor",
            object_id: id.to_string(),
            before: Some(vendor_view(&before.input())),
            after: Some(vendor_view(&v)),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, user, id).await
}

/// Links a user (role vendor) to a vendor, so they see only that firm's data.
pub async fn link_user(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
    email: &str,
) -> Result<(), AppError> {
    get(app, user, vendor_id).await?;
    let email = email.trim().to_lowercase();
    let found: Option<(i64, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(app.db.pool())
            .await?;
    let Some((uid, role)) = found else {
        return Err(AppError::field(
            "email",
            format!("There is no user {email}: create the user first, with the vendor role."),
        ));
    };
    if role != "vendor" {
        return Err(AppError::field(
            "email",
            format!("{email} does not have the vendor role."),
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE users SET vendor_id = $1, updated_at = $2 WHERE id = $3")
        .bind(vendor_id)
        .bind(&now)
        .bind(uid)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "user.link_vendor",
            object_type: "user",
            object_id: uid.to_string(),
            before: None,
            after: Some(json!({"vendor_id": vendor_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The vendor's portal users.
pub async fn users(app: &App, vendor_id: i64) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT name, email, status FROM users WHERE vendor_id = $1 ORDER BY name")
            .bind(vendor_id)
            .fetch_all(app.db.pool())
            .await?,
    )
}

/// The vendor's timekeepers.
pub async fn timekeepers(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
) -> Result<Vec<Timekeeper>, AppError> {
    get(app, user, vendor_id).await?;
    Ok(sqlx::query_as::<_, Timekeeper>("SELECT id, vendor_id, code, name, classification, status, created_at FROM timekeepers WHERE vendor_id = $1 ORDER BY name")
        .bind(vendor_id)
        .fetch_all(app.db.pool())
        .await?)
}

/// Adds an approved timekeeper (or updates name and classification of an existing code).
pub async fn add_timekeeper(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
    code: &str,
    name: &str,
    classification: &str,
) -> Result<i64, AppError> {
    get(app, user, vendor_id).await?;
    let (code, name, class) = (
        code.trim(),
        name.trim(),
        classification.trim().to_ascii_uppercase(),
    );
    let mut errs = vec![];
    if code.is_empty() || code.len() > 20 {
        errs.push(FieldError::new(
            "code",
            "Enter the firm's timekeeper id (TIMEKEEPER_ID, 1 to 20 characters).",
        ));
    }
    if name.is_empty() {
        errs.push(FieldError::new("name", "Enter the timekeeper's name."));
    }
    if ledes::Classification::from_code(&class).is_none() {
        errs.push(FieldError::new("classification", format!("{class} is not a LEDES timekeeper classification (PT, AS, OC, LA, PL, PARTNR, ASSOC, …).")));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO timekeepers (vendor_id, code, name, classification, status, created_at) VALUES ($1, $2, $3, $4, 'approved', $5) \
         ON CONFLICT (vendor_id, code) DO UPDATE SET name = excluded.name, classification = excluded.classification, status = 'approved' RETURNING id",
    )
    .bind(vendor_id)
    .bind(code)
    .bind(name)
    .bind(&class)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "timekeeper.approve", object_type: "timekeeper", object_id: id.to_string(), before: None, after: Some(json!({"vendor_id": vendor_id, "code": code, "name": name, "classification": class})) }).await?;
    tx.commit().await?;
    Ok(id)
}

/// Rates of a vendor's timekeepers, newest first.
pub async fn rates(app: &App, vendor_id: i64) -> Result<Vec<Rate>, AppError> {
    Ok(sqlx::query_as::<_, Rate>(
        "SELECT r.id, r.timekeeper_id, r.matter_id, m.number AS matter_number, r.rate_e4, r.currency, r.effective_from, r.effective_to, r.created_at \
         FROM timekeeper_rates r JOIN timekeepers t ON t.id = r.timekeeper_id LEFT JOIN matters m ON m.id = r.matter_id \
         WHERE t.vendor_id = $1 ORDER BY t.name, r.effective_from DESC",
    )
    .bind(vendor_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Approves a rate from a date, firm-wide or for one matter. The previous open-ended rate of
/// the same scope ends the day before.
pub async fn approve_rate(
    app: &App,
    user: &CurrentUser,
    timekeeper_id: i64,
    matter_id: Option<i64>,
    rate: &str,
    effective_from: &str,
) -> Result<i64, AppError> {
    let rate_e4 = money::parse_amount(rate).map_err(|e| AppError::field("rate", e))?;
    if rate_e4 <= 0 {
        return Err(AppError::field("rate", "A rate is more than zero."));
    }
    let from = crate::matters::model::parse_date(effective_from)
        .map_err(|e| AppError::field("effective_from", e))?
        .ok_or_else(|| {
            AppError::field("effective_from", "Enter the date the rate takes effect.")
        })?;
    let (vendor_id, currency): (i64, String) = sqlx::query_as("SELECT t.vendor_id, v.currency FROM timekeepers t JOIN vendors v ON v.id = t.vendor_id WHERE t.id = $1")
        .bind(timekeeper_id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("timekeeper".into()))?;
    get(app, user, vendor_id).await?;
    let now = app.clock.now_text();
    let day_before = from
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.yesterday().ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| from.clone());
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE timekeeper_rates SET effective_to = $1 WHERE timekeeper_id = $2 AND effective_to IS NULL AND effective_from < $3 AND COALESCE(matter_id, 0) = $4")
        .bind(&day_before)
        .bind(timekeeper_id)
        .bind(&from)
        .bind(matter_id.unwrap_or(0))
        .execute(&mut *tx)
        .await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO timekeeper_rates (timekeeper_id, matter_id, rate_e4, currency, effective_from, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(timekeeper_id)
        .bind(matter_id)
        .bind(rate_e4)
        .bind(&currency)
        .bind(&from)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "rate.approve", object_type: "timekeeper", object_id: timekeeper_id.to_string(), before: None, after: Some(json!({"rate": money::format_e4(rate_e4), "currency": currency, "effective_from": from, "matter_id": matter_id})) }).await?;
    tx.commit().await?;
    Ok(id)
}

const ASSIGNMENT_SELECT: &str = "SELECT a.id, a.matter_id, m.number AS matter_number, m.name AS matter_name, a.vendor_id, v.name AS vendor_name, \
     a.client_matter_id, a.firm_matter_id, a.starts_on, a.ends_on, a.status FROM matter_assignments a JOIN matters m ON m.id = a.matter_id JOIN vendors v ON v.id = a.vendor_id";

/// A vendor's matter assignments (walled matters only to those on the wall).
pub async fn assignments_of_vendor(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
) -> Result<Vec<Assignment>, AppError> {
    get(app, user, vendor_id).await?;
    let wall = if vendor_scope(user).is_some() {
        "1 = 1".to_string()
    } else {
        crate::platform::access::visible_sql("matter", "a.matter_id", 2)
    };
    Ok(sqlx::query_as::<_, Assignment>(sqlx::AssertSqlSafe(format!(
        "{ASSIGNMENT_SELECT} WHERE a.vendor_id = $1 AND {wall} ORDER BY m.number"
    )))
    .bind(vendor_id)
    .bind(user.id)
    .fetch_all(app.db.pool())
    .await?)
}

/// The vendors assigned to a matter.
pub async fn assignments_of_matter(app: &App, matter_id: i64) -> Result<Vec<Assignment>, AppError> {
    Ok(sqlx::query_as::<_, Assignment>(sqlx::AssertSqlSafe(format!(
        "{ASSIGNMENT_SELECT} WHERE a.matter_id = $1 ORDER BY v.name"
    )))
    .bind(matter_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Assigns a vendor to a matter (the matter must be visible to the user).
pub async fn assign(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
    matter_number: &str,
    client_matter_id: &str,
    firm_matter_id: &str,
    starts_on: &str,
) -> Result<i64, AppError> {
    get(app, user, vendor_id).await?;
    let matter: Option<i64> = sqlx::query_scalar("SELECT id FROM matters WHERE number = $1")
        .bind(matter_number.trim())
        .fetch_optional(app.db.pool())
        .await?;
    let matter_id = matter.ok_or_else(|| {
        AppError::field(
            "matter_number",
            format!("There is no matter {}.", matter_number.trim()),
        )
    })?;
    crate::matters::store::get(app, user, matter_id)
        .await
        .map_err(|_| {
            AppError::field(
                "matter_number",
                format!("There is no matter {}.", matter_number.trim()),
            )
        })?;
    let starts = crate::matters::model::parse_date(starts_on)
        .map_err(|e| AppError::field("starts_on", e))?;
    let client_id = if client_matter_id.trim().is_empty() {
        matter_number.trim()
    } else {
        client_matter_id.trim()
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO matter_assignments (matter_id, vendor_id, client_matter_id, firm_matter_id, starts_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(matter_id)
    .bind(vendor_id)
    .bind(client_id)
    .bind(firm_matter_id.trim())
    .bind(starts.unwrap_or_else(|| today(app)))
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { AppError::field("matter_number", "This vendor is already assigned to the matter.") } else { e.into() })?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "assignment.create", object_type: "matter", object_id: matter_id.to_string(), before: None, after: Some(json!({"vendor_id": vendor_id, "client_matter_id": client_id, "firm_matter_id": firm_matter_id.trim()})) }).await?;
    tx.commit().await?;
    Ok(id)
}

const REQUEST_SELECT: &str = "SELECT r.id, r.vendor_id, v.name AS vendor_name, r.timekeeper_id, t.name AS timekeeper_name, t.classification, r.matter_id, r.rate_e4, \
     (SELECT x.rate_e4 FROM timekeeper_rates x WHERE x.timekeeper_id = r.timekeeper_id AND x.matter_id IS NULL AND x.effective_from <= r.effective_from ORDER BY x.effective_from DESC LIMIT 1) AS current_rate_e4, \
     r.currency, r.effective_from, r.reason, r.status, r.decision_note, r.created_at \
     FROM rate_requests r JOIN vendors v ON v.id = r.vendor_id JOIN timekeepers t ON t.id = r.timekeeper_id";

/// Rate requests, pending first (vendor users see only their firm's).
pub async fn rate_requests(
    app: &App,
    user: &CurrentUser,
    status: &str,
) -> Result<Vec<RateRequest>, AppError> {
    Ok(sqlx::query_as::<_, RateRequest>(sqlx::AssertSqlSafe(format!(
        "{REQUEST_SELECT} WHERE ($1 = '' OR r.status = $1) AND ($2 < 0 OR r.vendor_id = $2) ORDER BY CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.id DESC"
    )))
    .bind(status)
    .bind(vendor_scope(user).map(|v| v.max(0)).unwrap_or(-1))
    .fetch_all(app.db.pool())
    .await?)
}

/// A vendor proposes a new rate for one of its timekeepers.
pub async fn request_rate(
    app: &App,
    user: &CurrentUser,
    timekeeper_id: i64,
    rate: &str,
    effective_from: &str,
    reason: &str,
) -> Result<i64, AppError> {
    let rate_e4 = money::parse_amount(rate).map_err(|e| AppError::field("rate", e))?;
    if rate_e4 <= 0 {
        return Err(AppError::field("rate", "A rate is more than zero."));
    }
    let from = crate::matters::model::parse_date(effective_from)
        .map_err(|e| AppError::field("effective_from", e))?
        .ok_or_else(|| {
            AppError::field(
                "effective_from",
                "Enter the date the rate should take effect.",
            )
        })?;
    let (vendor_id, currency): (i64, String) = sqlx::query_as("SELECT t.vendor_id, v.currency FROM timekeepers t JOIN vendors v ON v.id = t.vendor_id WHERE t.id = $1")
        .bind(timekeeper_id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("timekeeper".into()))?;
    get(app, user, vendor_id)
        .await
        .map_err(|_| AppError::NotFound("timekeeper".into()))?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO rate_requests (vendor_id, timekeeper_id, rate_e4, currency, effective_from, reason, requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(vendor_id)
    .bind(timekeeper_id)
    .bind(rate_e4)
    .bind(&currency)
    .bind(&from)
    .bind(reason.trim())
    .bind(user.id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "rate_request.create", object_type: "rate_request", object_id: id.to_string(), before: None, after: Some(json!({"timekeeper_id": timekeeper_id, "rate": money::format_e4(rate_e4), "effective_from": from})) }).await?;
    tx.commit().await?;
    Ok(id)
}

/// Legal ops approves (the rate takes effect) or rejects a pending rate request.
pub async fn decide_rate_request(
    app: &App,
    user: &CurrentUser,
    id: i64,
    approve: bool,
    note: &str,
) -> Result<(), AppError> {
    let r: Option<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT timekeeper_id, rate_e4, effective_from, status FROM rate_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?;
    let (tk, rate_e4, from, status) = r.ok_or_else(|| AppError::NotFound("rate request".into()))?;
    if status != "pending" {
        return Err(AppError::Conflict(format!(
            "this rate request was already {status}"
        )));
    }
    if approve {
        approve_rate(
            app,
            user,
            tk,
            None,
            &money::format_e4(rate_e4).replace(',', ""),
            &from,
        )
        .await?;
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE rate_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND status = 'pending'")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(user.id)
        .bind(&now)
        .bind(note.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: if approve { "rate_request.approve" } else { "rate_request.reject" }, object_type: "rate_request", object_id: id.to_string(), before: Some(json!({"status": "pending"})), after: Some(json!({"status": if approve { "approved" } else { "rejected" }, "note": note.trim()})) }).await?;
    tx.commit().await?;
    Ok(())
}

/// A matter's budgets.
pub async fn budgets(app: &App, matter_id: i64) -> Result<Vec<Budget>, AppError> {
    Ok(sqlx::query_as::<_, Budget>("SELECT id, matter_id, fiscal_period, phase, amount_e4, currency FROM budgets WHERE matter_id = $1 ORDER BY fiscal_period DESC, phase")
        .bind(matter_id)
        .fetch_all(app.db.pool())
        .await?)
}

/// Sets a matter's budget for a period, total (`phase` empty) or for a UTBMS phase (L100…).
pub async fn set_budget(
    app: &App,
    user: &CurrentUser,
    matter_id: i64,
    fiscal_period: &str,
    phase: &str,
    amount: &str,
    currency: &str,
) -> Result<(), AppError> {
    crate::matters::store::get(app, user, matter_id).await?;
    let amount_e4 = money::parse_amount(amount).map_err(|e| AppError::field("amount", e))?;
    if amount_e4 < 0 {
        return Err(AppError::field("amount", "A budget is not negative."));
    }
    let period = fiscal_period.trim();
    if period.is_empty() || period.len() > 20 {
        return Err(AppError::field(
            "fiscal_period",
            "Enter the fiscal period, e.g. FY2026.",
        ));
    }
    let phase = phase.trim().to_ascii_uppercase();
    if !(phase.is_empty() || phase.len() == 4 && phase.ends_with("00")) {
        return Err(AppError::field(
            "phase",
            "Leave empty for the total, or give a UTBMS phase such as L100 or L200.",
        ));
    }
    let currency = if currency.trim().is_empty() {
        "USD".to_string()
    } else {
        currency.trim().to_ascii_uppercase()
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "INSERT INTO budgets (matter_id, fiscal_period, phase, amount_e4, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (matter_id, fiscal_period, phase) DO UPDATE SET amount_e4 = excluded.amount_e4, currency = excluded.currency",
    )
    .bind(matter_id)
    .bind(period)
    .bind(&phase)
    .bind(amount_e4)
    .bind(&currency)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "budget.set", object_type: "matter", object_id: matter_id.to_string(), before: None, after: Some(json!({"fiscal_period": period, "phase": phase, "amount": money::format_e4(amount_e4), "currency": currency})) }).await?;
    tx.commit().await?;
    Ok(())
}

/// Accruals for a matter or a vendor (vendor users: their firm's only).
pub async fn accruals(
    app: &App,
    user: &CurrentUser,
    matter_id: Option<i64>,
    vendor_id: Option<i64>,
) -> Result<Vec<Accrual>, AppError> {
    let scope = vendor_scope(user);
    Ok(sqlx::query_as::<_, Accrual>(
        "SELECT a.id, a.matter_id, m.number AS matter_number, a.vendor_id, v.name AS vendor_name, a.period, a.amount_e4, a.currency, a.source, a.note \
         FROM accruals a JOIN matters m ON m.id = a.matter_id JOIN vendors v ON v.id = a.vendor_id \
         WHERE ($1 < 0 OR a.matter_id = $1) AND ($2 < 0 OR a.vendor_id = $2) ORDER BY a.period DESC, m.number",
    )
    .bind(matter_id.unwrap_or(-1))
    .bind(scope.or(vendor_id).unwrap_or(-1))
    .fetch_all(app.db.pool())
    .await?)
}

/// Records an accrual (monthly estimate of unbilled work): by the vendor in the portal
/// (source vendor) or entered internally.
pub async fn record_accrual(
    app: &App,
    user: &CurrentUser,
    vendor_id: i64,
    matter_id: i64,
    period: &str,
    amount: &str,
    note: &str,
) -> Result<(), AppError> {
    get(app, user, vendor_id).await?;
    let assigned: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM matter_assignments WHERE vendor_id = $1 AND matter_id = $2",
    )
    .bind(vendor_id)
    .bind(matter_id)
    .fetch_optional(app.db.pool())
    .await?;
    if assigned.is_none() {
        return Err(AppError::field(
            "matter_id",
            "The firm is not assigned to this matter.",
        ));
    }
    let amount_e4 = money::parse_amount(amount).map_err(|e| AppError::field("amount", e))?;
    let p = period.trim();
    let valid = p.len() == 7 && format!("{p}-01").parse::<jiff::civil::Date>().is_ok();
    if !valid {
        return Err(AppError::field("period", "Enter the month as YYYY-MM."));
    }
    let currency: String = sqlx::query_scalar("SELECT currency FROM vendors WHERE id = $1")
        .bind(vendor_id)
        .fetch_one(app.db.pool())
        .await?;
    let source = if vendor_scope(user).is_some() {
        "vendor"
    } else {
        "internal"
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "INSERT INTO accruals (matter_id, vendor_id, period, amount_e4, currency, source, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (matter_id, vendor_id, period) DO UPDATE SET amount_e4 = excluded.amount_e4, source = excluded.source, note = excluded.note",
    )
    .bind(matter_id)
    .bind(vendor_id)
    .bind(p)
    .bind(amount_e4)
    .bind(&currency)
    .bind(source)
    .bind(note.trim())
    .bind(user.id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "accrual.record", object_type: "matter", object_id: matter_id.to_string(), before: None, after: Some(json!({"vendor_id": vendor_id, "period": p, "amount": money::format_e4(amount_e4), "source": source})) }).await?;
    tx.commit().await?;
    Ok(())
}
