//! Billing guidelines as data: the department's set (and vendor or matter overrides) viewed as
//! a table of rules and edited as JSON, with a what-if replay over past invoices that shows the
//! flags gained and lost and the money at stake before anything is saved.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;
use guidelines::{Action, GuidelineSet};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, PageCtx};

/// The stored set of a scope (department: id 0), if any.
pub async fn stored(
    app: &App,
    scope: &str,
    scope_id: i64,
) -> Result<Option<(String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT rules_json, version FROM guideline_sets WHERE scope = $1 AND scope_id = $2",
    )
    .bind(scope)
    .bind(scope_id)
    .fetch_optional(app.db.pool())
    .await?)
}

/// Saves a set for a scope after checking it; audited with the old and new versions.
pub async fn save(
    app: &App,
    user: &CurrentUser,
    scope: &str,
    scope_id: i64,
    json_text: &str,
) -> Result<(), AppError> {
    if !matches!(scope, "department" | "vendor" | "matter") {
        return Err(AppError::field(
            "scope",
            "Choose department, vendor or matter.",
        ));
    }
    let set = GuidelineSet::from_json(json_text)
        .map_err(|e| AppError::field("rules", format!("The guideline set is not valid: {e}")))?;
    let canonical = set.to_json();
    let before = stored(app, scope, scope_id).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "INSERT INTO guideline_sets (scope, scope_id, name, rules_json, version, updated_at) VALUES ($1, $2, $3, $4, 1, $5) \
         ON CONFLICT (scope, scope_id) DO UPDATE SET rules_json = excluded.rules_json, version = guideline_sets.version + 1, updated_at = excluded.updated_at",
    )
    .bind(scope)
    .bind(scope_id)
    .bind(format!("{scope} guidelines"))
    .bind(&canonical)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change {
        action: "guidelines.save",
        object_type: "guideline_set",
        object_id: format!("{scope}:{scope_id}"),
        before: before.map(|(j, v)| json!({"version": v, "rules": serde_json::from_str::<serde_json::Value>(&j).unwrap_or_default()})),
        after: Some(json!({"rules": serde_json::from_str::<serde_json::Value>(&canonical).unwrap_or_default()})),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A what-if summary for the page.
pub struct WhatIfView {
    pub compared: usize,
    pub gained: usize,
    pub lost: usize,
    pub newly_rejected: usize,
    pub no_longer_rejected: usize,
    pub money_at_stake: String,
    pub invoices: Vec<(String, String, usize, usize, String)>,
}

/// Replays the last `limit` invoices under the department set in force and under `candidate`.
pub async fn what_if(
    app: &App,
    candidate: &GuidelineSet,
    limit: i64,
) -> Result<WhatIfView, AppError> {
    let current = match stored(app, "department", 0).await? {
        Some((j, _)) => GuidelineSet::from_json(&j)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored set invalid: {e}")))?,
        None => GuidelineSet::standard(),
    };
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM invoices ORDER BY received_at DESC LIMIT $1")
            .bind(limit)
            .fetch_all(app.db.pool())
            .await?;
    let mut conn = app.db.pool().acquire().await?;
    let mut cases = vec![];
    for id in ids {
        let (_, _, inv, ctx) = super::review::engine_input(app, &mut conn, id).await?;
        cases.push((inv, ctx));
    }
    let w = guidelines::compare(&current, candidate, &cases);
    let mut invoices: Vec<(String, String, usize, usize, String)> = w
        .invoices
        .iter()
        .filter(|d| {
            d.money_at_stake != rust_decimal::Decimal::ZERO
                || d.lines
                    .iter()
                    .any(|l| !l.gained.is_empty() || !l.lost.is_empty())
        })
        .map(|d| {
            let gained = d.lines.iter().map(|l| l.gained.len()).sum();
            let lost = d.lines.iter().map(|l| l.lost.len()).sum();
            let vendor = d.vendor_id.clone();
            (
                vendor,
                d.invoice_number.clone(),
                gained,
                lost,
                d.money_at_stake.round_dp(2).to_string(),
            )
        })
        .collect();
    invoices.truncate(100);
    Ok(WhatIfView {
        compared: w.invoices_compared,
        gained: w.flags_gained,
        lost: w.flags_lost,
        newly_rejected: w.newly_rejected,
        no_longer_rejected: w.no_longer_rejected,
        money_at_stake: w.money_at_stake.round_dp(2).to_string(),
        invoices,
    })
}

/// A rule as a table row.
pub struct RuleRow {
    pub id: String,
    pub kind: String,
    pub action: String,
    pub reason_code: String,
    pub enabled: bool,
    pub description: String,
}

fn rows(set: &GuidelineSet) -> Vec<RuleRow> {
    set.rules()
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            kind: r.kind.name().to_string(),
            action: match &r.action {
                Action::RejectInvoice => "Reject invoice".into(),
                Action::RejectLine => "Reject line".into(),
                Action::AutoAdjust => "Auto-adjust".into(),
                Action::Flag => "Flag for review".into(),
                Action::RouteToApprover { approver } => format!("Route to {approver:?}"),
            },
            reason_code: r.reason_code.clone(),
            enabled: r.enabled,
            description: r.description.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "spend/guidelines.html")]
struct GuidelinesPage {
    layout: Layout,
    rules: Vec<RuleRow>,
    json: String,
    version: i64,
    what_if: Option<WhatIfView>,
    error: Option<String>,
    overrides: Vec<(String, i64, i64)>,
}

async fn render(
    ctx: &PageCtx,
    json_text: Option<String>,
    what_if: Option<WhatIfView>,
    error: Option<String>,
) -> PageResult<Response> {
    let (set, version) = match stored(&ctx.app, "department", 0).await? {
        Some((j, v)) => (
            GuidelineSet::from_json(&j)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("stored set invalid: {e}")))?,
            v,
        ),
        None => (GuidelineSet::standard(), 0),
    };
    let json_text = json_text.unwrap_or_else(|| {
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&set.to_json()).unwrap_or_default(),
        )
        .unwrap_or_default()
    });
    let overrides: Vec<(String, i64, i64)> = sqlx::query_as("SELECT scope, scope_id, version FROM guideline_sets WHERE scope <> 'department' ORDER BY scope, scope_id").fetch_all(ctx.app.db.pool()).await.map_err(AppError::from)?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = ctx.render(GuidelinesPage {
        layout: ctx.layout("Billing guidelines", "guidelines"),
        rules: rows(&set),
        json: json_text,
        version,
        what_if,
        error,
        overrides,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /spend/guidelines
pub async fn page(ctx: PageCtx) -> PageResult<Response> {
    render(&ctx, None, None, None).await
}

#[derive(Deserialize)]
pub struct RulesForm {
    rules: String,
    action: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    scope_id: Option<i64>,
}

/// POST /spend/guidelines — preview (what-if) or save.
pub async fn submit(ctx: PageCtx, Form(f): Form<RulesForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let candidate = match GuidelineSet::from_json(&f.rules) {
        Ok(s) => s,
        Err(e) => {
            return render(
                &ctx,
                Some(f.rules.clone()),
                None,
                Some(format!("The guideline set is not valid: {e}")),
            )
            .await;
        }
    };
    if f.action == "preview" {
        let w = what_if(&ctx.app, &candidate, 500).await?;
        return render(&ctx, Some(f.rules.clone()), Some(w), None).await;
    }
    let scope = if f.scope.is_empty() {
        "department"
    } else {
        f.scope.as_str()
    };
    match save(&ctx.app, &user, scope, f.scope_id.unwrap_or(0), &f.rules).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/guidelines",
            FlashKind::Success,
            "Guidelines saved; they apply to invoices received from now on.",
        )),
        Err(AppError::Validation(e)) => {
            render(
                &ctx,
                Some(f.rules.clone()),
                None,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
