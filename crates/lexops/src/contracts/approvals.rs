//! Approvals and signature. Approval rules are data (a condition and the approvers it adds, in
//! sequence or in parallel); when a contract goes to approval, the rules that hold for its
//! current version add their approvers, each approval tied to that version. A new version voids
//! them (and, in the approval stage, asks again). Approvers are mailed when their turn comes.
//! Signature records who signs which version and the signed copy that came back; executing
//! needs it complete.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Contract, Status, Version};
use super::store;
use crate::platform::access::{CurrentUser, Role};
use crate::platform::app::App;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::{AppError, FieldError};

/// When a rule adds its approvers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// Every contract.
    Always,
    /// Total value above an amount (minor units, in the contract's currency).
    ValueAbove { amount_minor: i64 },
    /// Governing law not in the list.
    GoverningLawNotIn { laws: Vec<String> },
    /// Initial term longer than this many months.
    TermLongerThan { months: i64 },
    /// A contract type in the list.
    TypeIn { types: Vec<String> },
    /// Not our standard paper: drafted with a fallback clause, or text that differs from the
    /// last version drafted from a template (or no template at all).
    NonStandard,
}

/// Who approves: a role (anyone holding it) or one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Approver {
    Role { role: String },
    User { email: String },
}

/// An approval rule.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub position: i64,
    pub condition: Condition,
    pub approvers: Vec<Approver>,
    /// `sequential` (one after another) or `parallel` (all at once).
    pub mode: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The facts a condition is judged on.
pub struct Facts<'a> {
    pub contract: &'a Contract,
    pub non_standard: bool,
}

impl Condition {
    /// Whether it holds, and why (the approval's reason).
    pub fn holds(&self, f: &Facts<'_>) -> Option<String> {
        let c = f.contract;
        match self {
            Condition::Always => Some("every contract".into()),
            Condition::ValueAbove { amount_minor } => {
                c.value_minor.filter(|v| v > amount_minor).map(|_| {
                    format!(
                        "value {} above {} {}",
                        c.value_text(),
                        c.currency,
                        super::model::money_text(*amount_minor)
                    )
                })
            }
            Condition::GoverningLawNotIn { laws } => (!c.governing_law.is_empty()
                && !laws
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(c.governing_law.trim())))
            .then(|| {
                format!(
                    "governing law {} is not one of {}",
                    c.governing_law,
                    laws.join(", ")
                )
            }),
            Condition::TermLongerThan { months } => c
                .term_months
                .filter(|m| m > months)
                .map(|m| format!("term of {m} months is longer than {months}")),
            Condition::TypeIn { types } => types
                .contains(&c.type_code)
                .then(|| format!("a {} needs this approval", c.type_name.to_lowercase())),
            Condition::NonStandard => f.non_standard.then(|| "not our standard paper".into()),
        }
    }
}

/// Checks a rule's fields.
pub fn check(r: &Rule) -> Result<(), AppError> {
    let mut errs = vec![];
    if r.name.trim().is_empty() || r.name.chars().count() > 200 {
        errs.push(FieldError::new(
            "name",
            "Name the rule (1 to 200 characters).",
        ));
    }
    if r.approvers.is_empty() {
        errs.push(FieldError::new("approvers", "Name at least one approver."));
    }
    for a in &r.approvers {
        if let Approver::Role { role } = a
            && Role::parse(role)
                .is_none_or(|r| !r.can(crate::platform::access::Permission::ManageContracts))
        {
            errs.push(FieldError::new(
                "approvers",
                format!("`{role}` is not a role that can approve contracts."),
            ));
        }
    }
    if r.mode != "sequential" && r.mode != "parallel" {
        errs.push(FieldError::new("mode", "Choose sequential or parallel."));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// The approval rules, in order.
pub async fn rules(app: &App) -> Result<Vec<Rule>, AppError> {
    let rows: Vec<(i64, String, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, position, condition_json, approvers_json, mode, active FROM contract_approval_rules ORDER BY position, id",
    )
    .fetch_all(app.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, position, c, a, mode, active)| {
            Some(Rule {
                id,
                name,
                position,
                condition: serde_json::from_str(&c).ok()?,
                approvers: serde_json::from_str(&a).ok()?,
                mode,
                active: active != 0,
            })
        })
        .collect())
}

/// Adds (`id` 0) or replaces a rule.
pub async fn save_rule(app: &App, user: &CurrentUser, r: &Rule) -> Result<Rule, AppError> {
    check(r)?;
    let now = app.clock.now_text();
    let (c, a) = (
        serde_json::to_string(&r.condition).unwrap_or_default(),
        serde_json::to_string(&r.approvers).unwrap_or_default(),
    );
    let mut tx = app.db.begin().await?;
    for ap in &r.approvers {
        if let Approver::User { email } = ap {
            user_id(&mut tx, email).await?;
        }
    }
    let id: Option<i64> = if r.id == 0 {
        Some(
            sqlx::query_scalar(
                "INSERT INTO contract_approval_rules (name, position, condition_json, approvers_json, mode, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(r.name.trim())
            .bind(r.position)
            .bind(&c)
            .bind(&a)
            .bind(&r.mode)
            .bind(r.active as i64)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?,
        )
    } else {
        sqlx::query_scalar(
            "UPDATE contract_approval_rules SET name = $1, position = $2, condition_json = $3, approvers_json = $4, mode = $5, active = $6, updated_at = $7 WHERE id = $8 RETURNING id",
        )
        .bind(r.name.trim())
        .bind(r.position)
        .bind(&c)
        .bind(&a)
        .bind(&r.mode)
        .bind(r.active as i64)
        .bind(&now)
        .bind(r.id)
        .fetch_optional(&mut *tx)
        .await?
    };
    let id = id.ok_or_else(|| AppError::NotFound("approval rule".into()))?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract_approval_rule.save",
            object_type: "contract_approval_rule",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"name": r.name, "condition": r.condition, "approvers": r.approvers, "mode": r.mode, "active": r.active})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Rule { id, ..r.clone() })
}

async fn user_id(tx: &mut Tx, email: &str) -> Result<i64, AppError> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE LOWER(email) = LOWER($1) AND status = 'active' AND role IN ('admin','legal_ops','attorney','paralegal')",
    )
    .bind(email.trim())
    .fetch_optional(&mut **tx)
    .await?;
    id.ok_or_else(|| {
        AppError::field(
            "approvers",
            format!("{email} is not an active lawyer, paralegal or legal ops user."),
        )
    })
}

/// An approval as pages show it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Approval {
    pub id: i64,
    pub version: i64,
    pub reason: String,
    pub step: i64,
    pub approver_role: Option<String>,
    pub approver_id: Option<i64>,
    pub approver_name: Option<String>,
    /// pending, approved, rejected or void
    pub state: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub note: String,
}

impl Approval {
    pub fn approver(&self) -> String {
        match (&self.approver_name, &self.approver_role) {
            (Some(n), _) => n.clone(),
            (None, Some(r)) => format!(
                "any {}",
                Role::parse(r)
                    .map(|r| r.label().to_lowercase())
                    .unwrap_or_else(|| r.clone())
            ),
            _ => String::new(),
        }
    }
}

/// Approvals of a contract, newest version first.
pub async fn list(app: &App, contract_id: i64) -> Result<Vec<Approval>, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.id, v.version, a.reason, a.step, a.approver_role, a.approver_id, u.name AS approver_name, a.state, d.name AS decided_by_name, a.decided_at, a.note \
         FROM contract_approvals a JOIN contract_versions v ON v.id = a.version_id LEFT JOIN users u ON u.id = a.approver_id LEFT JOIN users d ON d.id = a.decided_by \
         WHERE a.contract_id = $1 ORDER BY v.version DESC, a.step, a.id",
    )
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// The version approvals and signature are about: the newest that is not a request attachment
/// or a signed copy.
pub async fn current_version(
    tx: &mut Tx,
    contract_id: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, version FROM contract_versions WHERE contract_id = $1 AND source NOT IN ('attachment','signed') ORDER BY version DESC LIMIT 1",
    )
    .bind(contract_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Whether the version is off our standard paper.
async fn non_standard(tx: &mut Tx, contract_id: i64, version_id: i64) -> Result<bool, sqlx::Error> {
    let (source, text, answers): (String, String, Option<String>) =
        sqlx::query_as("SELECT source, text, answers_json FROM contract_versions WHERE id = $1")
            .bind(version_id)
            .fetch_one(&mut **tx)
            .await?;
    if source == "generated" {
        // Drafted from a template: non-standard only with a fallback position.
        let used: serde_json::Value = answers
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        return Ok(used["clauses"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["position"].as_u64().unwrap_or(0) > 0)));
    }
    let drafted: Option<String> = sqlx::query_scalar(
        "SELECT text FROM contract_versions WHERE contract_id = $1 AND source = 'generated' ORDER BY version DESC LIMIT 1",
    )
    .bind(contract_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match drafted {
        None => true,
        Some(d) => drafting::redline(&d, &text).paras_changed > 0,
    })
}

/// Adds the approvals the rules ask for the contract's current version (inside the transaction
/// that moves it to approval), and mails the first step's approvers. Returns how many.
pub async fn require(tx: &mut Tx, app: &App, now: &str, c: &Contract) -> Result<usize, AppError> {
    let Some((version_id, version)) = current_version(tx, c.id).await? else {
        return Err(AppError::Conflict(format!(
            "{} has no version to approve: draft or upload one first.",
            c.number
        )));
    };
    let facts = Facts {
        contract: c,
        non_standard: non_standard(tx, c.id, version_id).await?,
    };
    let mut step = 0i64;
    let mut n = 0;
    for r in rules(app).await?.into_iter().filter(|r| r.active) {
        let Some(reason) = r.condition.holds(&facts) else {
            continue;
        };
        let reason = format!("{}: {reason}", r.name);
        if r.mode == "parallel" {
            step += 1;
        }
        for a in &r.approvers {
            if r.mode == "sequential" {
                step += 1;
            }
            let (role, uid) = match a {
                Approver::Role { role } => (Some(role.clone()), None),
                Approver::User { email } => (None, Some(user_id(tx, email).await?)),
            };
            sqlx::query(
                "INSERT INTO contract_approvals (contract_id, version_id, rule_id, reason, step, approver_role, approver_id, state, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
            )
            .bind(c.id)
            .bind(version_id)
            .bind(r.id)
            .bind(&reason)
            .bind(step)
            .bind(role)
            .bind(uid)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            n += 1;
        }
    }
    notify_next(tx, app, now, c, version).await?;
    Ok(n)
}

/// Mails the approvers whose turn has come (the lowest pending step).
async fn notify_next(
    tx: &mut Tx,
    app: &App,
    now: &str,
    c: &Contract,
    version: i64,
) -> Result<(), AppError> {
    let step: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(step) FROM contract_approvals WHERE contract_id = $1 AND state = 'pending'",
    )
    .bind(c.id)
    .fetch_one(&mut **tx)
    .await?;
    let Some(step) = step else {
        return Ok(());
    };
    let to: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT u.email FROM contract_approvals a JOIN users u ON (u.id = a.approver_id OR (a.approver_id IS NULL AND u.role = a.approver_role)) \
         WHERE a.contract_id = $1 AND a.state = 'pending' AND a.step = $2 AND u.status = 'active' ORDER BY u.email",
    )
    .bind(c.id)
    .bind(step)
    .fetch_all(&mut **tx)
    .await?;
    let link = format!(
        "{}/contracts/{}",
        app.settings.public_base().trim_end_matches('/'),
        c.id
    );
    for (email,) in to {
        crate::platform::mail::queue(
            tx,
            now,
            &email,
            &format!("Approval needed: {} {}", c.number, c.title),
            &format!(
                "{} ({}) needs your approval (version {version}).\n\nCounterparty: {}\nValue: {}\n\nOpen it: {link}\n",
                c.title, c.number, c.counterparty, c.value_text()
            ),
        )
        .await?;
    }
    Ok(())
}

/// Voids the live approvals of versions other than the current one (a new version changed the
/// content); in the approval stage the rules ask again for the new version. Called in the
/// transaction that adds a version.
pub async fn on_new_version(
    tx: &mut Tx,
    app: &App,
    now: &str,
    c: &Contract,
    new_version: i64,
) -> Result<(), AppError> {
    let voided = sqlx::query(
        "UPDATE contract_approvals SET state = 'void', note = $1 WHERE contract_id = $2 AND state IN ('pending','approved')",
    )
    .bind(format!("void: version {new_version} changed the content"))
    .bind(c.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if voided > 0 && c.status() == Status::Approval {
        require(tx, app, now, c).await?;
    }
    Ok(())
}

/// Whether the current version's approvals are all given (true when the rules asked for none).
pub async fn complete(tx: &mut Tx, contract_id: i64) -> Result<bool, sqlx::Error> {
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contract_approvals WHERE contract_id = $1 AND state IN ('pending','rejected')")
        .bind(contract_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(open == 0)
}

/// Approves or rejects one approval as `user` (who must be its approver, at its turn). A
/// rejection sends the contract back to negotiation.
pub async fn decide(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    approval_id: i64,
    approve: bool,
    note: &str,
) -> Result<Contract, AppError> {
    let c = store::get(app, Some(user), contract_id).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let row: Option<(i64, String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT step, state, approver_role, approver_id FROM contract_approvals WHERE id = $1 AND contract_id = $2")
            .bind(approval_id)
            .bind(contract_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (step, state, role, uid) = row.ok_or_else(|| AppError::NotFound("approval".into()))?;
    if state != "pending" {
        return Err(AppError::Conflict(format!(
            "This approval is already {state}."
        )));
    }
    let mine =
        uid == Some(user.id) || (uid.is_none() && role.as_deref() == Some(user.role.as_str()));
    if !mine {
        return Err(AppError::Forbidden(
            "this approval is someone else's".into(),
        ));
    }
    let earlier: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contract_approvals WHERE contract_id = $1 AND state = 'pending' AND step < $2")
        .bind(contract_id)
        .bind(step)
        .fetch_one(&mut *tx)
        .await?;
    if earlier > 0 {
        return Err(AppError::Conflict(
            "An earlier approver has not decided yet.".into(),
        ));
    }
    if !approve && note.trim().is_empty() {
        return Err(AppError::field("note", "Say why you reject it."));
    }
    sqlx::query("UPDATE contract_approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(user.id)
        .bind(&now)
        .bind(note.trim())
        .bind(approval_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: if approve {
                "contract.approve"
            } else {
                "contract.reject"
            },
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"approval_id": approval_id, "step": step, "note": note.trim()})),
        },
    )
    .await?;
    let version: i64 = sqlx::query_scalar("SELECT v.version FROM contract_approvals a JOIN contract_versions v ON v.id = a.version_id WHERE a.id = $1")
        .bind(approval_id)
        .fetch_one(&mut *tx)
        .await?;
    if approve {
        notify_next(&mut tx, app, &now, &c, version).await?;
        tx.commit().await?;
        store::get(app, Some(user), contract_id).await
    } else {
        tx.commit().await?;
        store::set_status(
            app,
            user,
            contract_id,
            Status::Negotiation,
            &format!("approval rejected: {}", note.trim()),
        )
        .await
    }
}

/// A signatory of a signature request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signatory {
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// `us` or `counterparty`.
    pub party: String,
    /// When they signed (YYYY-MM-DD), once the signed copy is in.
    #[serde(default)]
    pub signed_on: Option<String>,
}

/// A signature request and its outcome.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Signature {
    pub id: i64,
    pub version: i64,
    pub signatories: Vec<Signatory>,
    pub method: String,
    pub requested_at: String,
    pub signed_version: Option<i64>,
    pub signed_sha256: Option<String>,
    pub completed_at: Option<String>,
}

pub async fn signatures(app: &App, contract_id: i64) -> Result<Vec<Signature>, AppError> {
    let rows: Vec<(i64, i64, String, String, String, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT s.id, v.version, s.signatories_json, s.method, s.requested_at, sv.version, sv.sha256, s.completed_at FROM contract_signatures s \
         JOIN contract_versions v ON v.id = s.version_id LEFT JOIN contract_versions sv ON sv.id = s.signed_version_id WHERE s.contract_id = $1 ORDER BY s.id DESC",
    )
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                version,
                sj,
                method,
                requested_at,
                signed_version,
                signed_sha256,
                completed_at,
            )| Signature {
                id,
                version,
                signatories: serde_json::from_str(&sj).unwrap_or_default(),
                method,
                requested_at,
                signed_version,
                signed_sha256,
                completed_at,
            },
        )
        .collect())
}

/// Records who is to sign the current version (the contract must be at signature).
pub async fn request_signature(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    signatories: &[Signatory],
    method: &str,
) -> Result<(), AppError> {
    let c = store::get(app, Some(user), contract_id).await?;
    if c.status() != Status::Signature {
        return Err(AppError::Conflict(format!(
            "{} is not at the signature stage.",
            c.number
        )));
    }
    let people: Vec<Signatory> = signatories
        .iter()
        .filter(|s| !s.name.trim().is_empty())
        .cloned()
        .collect();
    if !people.iter().any(|s| s.party == "us") || !people.iter().any(|s| s.party == "counterparty")
    {
        return Err(AppError::field(
            "signatories",
            "Name at least one signatory for us and one for the counterparty.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let (version_id, version) = current_version(&mut tx, contract_id)
        .await?
        .ok_or_else(|| AppError::Conflict("There is no version to sign.".into()))?;
    let sj = serde_json::to_string(&people).unwrap_or_default();
    sqlx::query(
        "INSERT INTO contract_signatures (contract_id, version_id, signatories_json, method, requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(contract_id)
    .bind(version_id)
    .bind(&sj)
    .bind(if method.trim().is_empty() { "electronic" } else { method.trim() })
    .bind(&now)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.signature_request",
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"version": version, "signatories": people})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Completes the open signature request with a signed copy (already added as a `signed`
/// version) and the dates each signatory signed.
pub async fn complete_signature(
    tx: &mut Tx,
    now: &str,
    contract_id: i64,
    signed_version_id: i64,
    signed_on: &[(String, String)],
) -> Result<bool, AppError> {
    let open: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, signatories_json FROM contract_signatures WHERE contract_id = $1 AND completed_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(contract_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, sj)) = open else {
        return Ok(false);
    };
    let mut people: Vec<Signatory> = serde_json::from_str(&sj).unwrap_or_default();
    for p in &mut people {
        if let Some((_, d)) = signed_on
            .iter()
            .find(|(n, _)| n == "*" || n.eq_ignore_ascii_case(&p.name))
        {
            if jiff::civil::Date::strptime("%Y-%m-%d", d).is_err() {
                return Err(AppError::field(
                    "signed_on",
                    format!("`{d}` is not a date (YYYY-MM-DD) for {}.", p.name),
                ));
            }
            p.signed_on = Some(d.clone());
        } else if p.signed_on.is_none() {
            p.signed_on = Some(now[..10].to_string());
        }
    }
    sqlx::query("UPDATE contract_signatures SET signatories_json = $1, signed_version_id = $2, completed_at = $3 WHERE id = $4")
        .bind(serde_json::to_string(&people).unwrap_or_default())
        .bind(signed_version_id)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Whether the contract has a completed signature.
pub async fn signed(tx: &mut Tx, contract_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contract_signatures WHERE contract_id = $1 AND completed_at IS NOT NULL")
        .bind(contract_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

/// What the approval card shows: the approvals, and which ones `user` may decide now.
pub fn decidable(all: &[Approval], user: &CurrentUser, current_version: Option<i64>) -> Vec<i64> {
    let live: Vec<&Approval> = all
        .iter()
        .filter(|a| Some(a.version) == current_version && a.state == "pending")
        .collect();
    let Some(step) = live.iter().map(|a| a.step).min() else {
        return vec![];
    };
    live.into_iter()
        .filter(|a| a.step == step)
        .filter(|a| match (a.approver_id, &a.approver_role) {
            (Some(id), _) => id == user.id,
            (None, Some(r)) => r == user.role.as_str(),
            _ => false,
        })
        .map(|a| a.id)
        .collect()
}

/// The version number approvals are about now.
pub fn current_number(versions: &[Version]) -> Option<i64> {
    versions
        .iter()
        .filter(|v| v.source != "attachment" && v.source != "signed")
        .map(|v| v.version)
        .max()
}

/// One signing date for every signatory (`*` stands for any name), or none.
pub fn signed_on_all(date: &str) -> Vec<(String, String)> {
    if date.trim().is_empty() {
        vec![]
    } else {
        vec![("*".into(), date.trim().to_string())]
    }
}
