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
/// Every extra approver a rule routes to must be able to decide invoices: a role that holds
/// the review permission, or an active user with such a role (otherwise the invoice would wait
/// for nobody).
async fn check_approvers(app: &App, set: &GuidelineSet) -> Result<(), AppError> {
    use crate::platform::access::{Permission, Role};
    for rule in set.rules() {
        let guidelines::Action::RouteToApprover { approver } = &rule.action else {
            continue;
        };
        match approver {
            guidelines::Approver::Role(r) => {
                if !Role::parse(r.as_str()).is_some_and(|role| role.can(Permission::ReviewInvoices))
                {
                    return Err(AppError::field(
                        "rules",
                        format!(
                            "Rule {}: the role {r} cannot approve invoices; use one of {}.",
                            rule.id,
                            Role::ALL
                                .iter()
                                .filter(|x| x.can(Permission::ReviewInvoices))
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
            guidelines::Approver::User(id) => {
                let role: Option<String> = sqlx::query_scalar(
                    "SELECT role FROM users WHERE id = $1 AND status = 'active'",
                )
                .bind(*id)
                .fetch_optional(app.db.pool())
                .await?;
                if !role
                    .and_then(|r| Role::parse(&r))
                    .is_some_and(|role| role.can(Permission::ReviewInvoices))
                {
                    return Err(AppError::field(
                        "rules",
                        format!(
                            "Rule {}: user {id} is not an active user who can approve invoices.",
                            rule.id
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

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
    check_approvers(app, &set).await?;
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
    routing: Vec<ApprovalRule>,
    caps: Vec<(&'static str, &'static str, String)>,
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
    let routing = approval_rules(&ctx.app).await?;
    let stored_caps = rate_caps(&ctx.app).await?;
    let caps = [
        ("PARTNR", "Partner"),
        ("OFCOUN", "Of counsel"),
        ("ASSOC", "Associate"),
        ("PARALG", "Paralegal"),
        ("LGLAST", "Legal assistant"),
    ]
    .into_iter()
    .map(|(c, l)| {
        (
            c,
            l,
            stored_caps
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| super::money::format_e4(*v).replace(',', ""))
                .unwrap_or_default(),
        )
    })
    .collect();
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
        routing,
        caps,
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

/// An approval-routing rule: each matching rule adds an approval step, in position order.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApprovalRule {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub min_total_e4: i64,
    pub matter_type: String,
    pub practice_area: String,
    pub only_over_budget: i64,
    pub approver_id: Option<i64>,
    pub approver_email: Option<String>,
    pub approver_role: String,
}

impl ApprovalRule {
    /// The rule's condition for people.
    pub fn condition(&self) -> String {
        let mut c = vec![];
        if self.min_total_e4 > 0 {
            c.push(format!(
                "approved amount ≥ {}",
                super::money::format_e4(self.min_total_e4)
            ));
        }
        if !self.matter_type.is_empty() {
            c.push(format!("matter type {}", self.matter_type));
        }
        if !self.practice_area.is_empty() {
            c.push(format!("practice area {}", self.practice_area));
        }
        if self.only_over_budget != 0 {
            c.push("over budget".into());
        }
        if c.is_empty() {
            "every invoice".into()
        } else {
            c.join(" and ")
        }
    }
    /// Who approves.
    pub fn approver(&self) -> String {
        match &self.approver_email {
            Some(e) => e.clone(),
            None => format!("any {}", self.approver_role),
        }
    }
}

/// The routing rules, in order.
pub async fn approval_rules(app: &App) -> Result<Vec<ApprovalRule>, AppError> {
    Ok(sqlx::query_as::<_, ApprovalRule>(
        "SELECT r.id, r.position, r.name, r.min_total_e4, r.matter_type, r.practice_area, r.only_over_budget, r.approver_id, u.email AS approver_email, r.approver_role \
         FROM approval_rules r LEFT JOIN users u ON u.id = r.approver_id ORDER BY r.position, r.id",
    )
    .fetch_all(app.db.pool())
    .await?)
}

/// Adds a routing rule. The approver is a user (by email) or a role.
#[allow(clippy::too_many_arguments)]
pub async fn add_approval_rule(
    app: &App,
    user: &CurrentUser,
    name: &str,
    min_total: &str,
    matter_type: &str,
    practice_area: &str,
    only_over_budget: bool,
    approver: &str,
) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field(
            "name",
            "Name the step, e.g. General counsel above 50,000.",
        ));
    }
    let min = if min_total.trim().is_empty() {
        0
    } else {
        super::money::parse_amount(min_total).map_err(|e| AppError::field("min_total", e))?
    };
    let approver = approver.trim().to_lowercase();
    let (approver_id, role) = if approver.contains('@') {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND status = 'active'")
                .bind(&approver)
                .fetch_optional(app.db.pool())
                .await?;
        (
            Some(id.ok_or_else(|| {
                AppError::field("approver", format!("There is no active user {approver}."))
            })?),
            String::new(),
        )
    } else {
        let r = crate::platform::access::Role::parse(&approver).ok_or_else(|| {
            AppError::field(
                "approver",
                "Give a user's email or a role (legal_ops, attorney, admin).",
            )
        })?;
        if !r.can(crate::platform::access::Permission::ReviewInvoices) {
            return Err(AppError::field(
                "approver",
                format!("The {} role cannot approve invoices.", r.label()),
            ));
        }
        (None, r.as_str().to_string())
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let position: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM approval_rules",
    )
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO approval_rules (position, name, min_total_e4, matter_type, practice_area, only_over_budget, approver_id, approver_role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(position)
    .bind(name)
    .bind(min)
    .bind(matter_type.trim())
    .bind(practice_area.trim())
    .bind(only_over_budget as i64)
    .bind(approver_id)
    .bind(&role)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, &now, &user.actor(), Change { action: "approval_rule.create", object_type: "approval_rule", object_id: id.to_string(), before: None, after: Some(json!({"name": name, "min_total": super::money::format_e4(min), "matter_type": matter_type.trim(), "practice_area": practice_area.trim(), "only_over_budget": only_over_budget, "approver": approver})) }).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a routing rule (invoices already routed keep their steps).
pub async fn delete_approval_rule(app: &App, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = sqlx::query("DELETE FROM approval_rules WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("approval rule".into()));
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "approval_rule.delete",
            object_type: "approval_rule",
            object_id: id.to_string(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The department's rate caps by LEDES classification (setting `rate_caps`).
pub async fn rate_caps(app: &App) -> Result<Vec<(String, i64)>, AppError> {
    let raw = app.db.setting("rate_caps").await?.unwrap_or_default();
    Ok(raw
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| {
            v.trim()
                .parse::<i64>()
                .ok()
                .map(|v| (k.trim().to_string(), v))
        })
        .collect())
}

/// Sets the rate caps (`PARTNR=950.00`, …); empty amounts remove a cap.
pub async fn set_rate_caps(
    app: &App,
    user: &CurrentUser,
    caps: &[(&str, &str)],
) -> Result<(), AppError> {
    let mut out = vec![];
    for (code, amount) in caps {
        if amount.trim().is_empty() {
            continue;
        }
        let e4 = super::money::parse_amount(amount).map_err(|e| AppError::field(code, e))?;
        out.push(format!("{code}={e4}"));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    crate::platform::db::set_setting(&mut tx, "rate_caps", &out.join(",")).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "settings.rate_caps",
            object_type: "setting",
            object_id: "rate_caps".into(),
            before: None,
            after: Some(json!({"caps": out})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct RuleForm {
    name: String,
    #[serde(default)]
    min_total: String,
    #[serde(default)]
    matter_type: String,
    #[serde(default)]
    practice_area: String,
    #[serde(default)]
    only_over_budget: Option<String>,
    approver: String,
}

/// POST /spend/approval-rules
pub async fn add_rule(ctx: PageCtx, Form(f): Form<RuleForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match add_approval_rule(
        &ctx.app,
        &user,
        &f.name,
        &f.min_total,
        &f.matter_type,
        &f.practice_area,
        f.only_over_budget.is_some(),
        &f.approver,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/guidelines#routing",
            FlashKind::Success,
            "Routing rule added.",
        )),
        Err(AppError::Validation(e)) => {
            render(
                &ctx,
                None,
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

/// POST /spend/approval-rules/{id}/delete
pub async fn delete_rule(
    ctx: PageCtx,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    delete_approval_rule(&ctx.app, &user, id).await?;
    Ok(redirect_with_flash(
        &ctx.app,
        "/spend/guidelines#routing",
        FlashKind::Success,
        "Routing rule removed.",
    ))
}

#[derive(Deserialize)]
pub struct CapsForm {
    #[serde(default, rename = "PARTNR")]
    partner: String,
    #[serde(default, rename = "OFCOUN")]
    of_counsel: String,
    #[serde(default, rename = "ASSOC")]
    associate: String,
    #[serde(default, rename = "PARALG")]
    paralegal: String,
    #[serde(default, rename = "LGLAST")]
    legal_assistant: String,
}

/// POST /spend/rate-caps
pub async fn save_caps(ctx: PageCtx, Form(f): Form<CapsForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let caps = [
        ("PARTNR", f.partner.as_str()),
        ("OFCOUN", f.of_counsel.as_str()),
        ("ASSOC", f.associate.as_str()),
        ("PARALG", f.paralegal.as_str()),
        ("LGLAST", f.legal_assistant.as_str()),
    ];
    match set_rate_caps(&ctx.app, &user, &caps).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/guidelines#caps",
            FlashKind::Success,
            "Rate caps saved.",
        )),
        Err(AppError::Validation(e)) => {
            render(
                &ctx,
                None,
                None,
                Some(
                    e.into_iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
