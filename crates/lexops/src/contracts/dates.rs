//! Key dates in use: each contract's computed dates ([`super::keydates`]) and its obligations;
//! the upcoming and overdue list; the daily alert run (mail before each date, at offsets from the
//! `contract_alert_offsets` setting, once each); iCalendar feeds per contract and per user (a
//! signed link a calendar program can subscribe to).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::keydates::{self, KeyDate, Terms};
use super::model::Contract;
use super::store;
use crate::platform::access::CurrentUser;
use crate::platform::app::App;
use crate::platform::audit::{self, Change};
use crate::platform::error::{AppError, FieldError};

/// The daily job.
pub const JOB: &str = "contracts.alerts";
/// The job that brings every contract's stored key dates up to date (queued when the holiday
/// calendar changes, so that the next view does not compute them all).
pub const REFRESH_JOB: &str = "contracts.key_dates";
/// Days before a date that alerts go out, unless the setting says otherwise.
pub const DEFAULT_OFFSETS: [i64; 4] = [90, 30, 7, 1];
/// Business days allowed for a notice to arrive, unless the setting says otherwise.
pub const DEFAULT_DELIVERY_DAYS: i64 = 3;

fn date(s: &Option<String>) -> Option<jiff::civil::Date> {
    s.as_deref()
        .and_then(|d| jiff::civil::Date::strptime("%Y-%m-%d", d).ok())
}

pub fn terms(c: &Contract) -> Terms {
    Terms {
        effective_on: date(&c.effective_on),
        term_months: c.term_months,
        expires_on: date(&c.expires_on),
        auto_renew: c.auto_renew != 0,
        renewal_months: c.renewal_months,
        notice_days: c.notice_days,
        termination_notice_days: c.termination_notice_days,
        termination_after_months: c.termination_after_months,
        option_from_days: c.option_from_days,
        option_to_days: c.option_to_days,
    }
}

async fn delivery_days(app: &App) -> i64 {
    app.db
        .setting("contract_notice_delivery_days")
        .await
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_DELIVERY_DAYS)
}

async fn offsets(app: &App) -> Vec<i64> {
    app.db
        .setting("contract_alert_offsets")
        .await
        .ok()
        .flatten()
        .map(|v| {
            v.split(',')
                .filter_map(|x| x.trim().parse().ok())
                .collect::<Vec<i64>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_OFFSETS.to_vec())
}

fn today(app: &App) -> jiff::civil::Date {
    jiff::civil::Date::strptime("%Y-%m-%d", app.clock.today()).unwrap_or(jiff::civil::Date::MIN)
}

/// A contract's key dates as of today.
pub async fn key_dates(app: &App, c: &Contract) -> Result<Vec<KeyDate>, AppError> {
    let holidays = super::holidays::load(app).await?;
    Ok(keydates::compute(
        &terms(c),
        today(app),
        delivery_days(app).await,
        &holidays,
    ))
}

/// An obligation.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Obligation {
    pub id: i64,
    pub contract_id: i64,
    pub title: String,
    pub kind: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub due_on: String,
    pub recurrence: String,
    pub status: String,
    pub evidence: String,
    pub completed_at: Option<String>,
}

const OBLIGATION_SELECT: &str = "SELECT o.id, o.contract_id, o.title, o.kind, o.owner_id, u.name AS owner_name, o.due_on, o.recurrence, o.status, o.evidence, o.completed_at \
    FROM contract_obligations o LEFT JOIN users u ON u.id = o.owner_id";

pub const KINDS: [&str; 7] = [
    "payment",
    "reporting",
    "insurance",
    "audit",
    "confidentiality_return",
    "delivery",
    "other",
];
pub const RECURRENCES: [&str; 4] = ["none", "monthly", "quarterly", "yearly"];

/// An obligation as typed into the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ObligationInput {
    pub title: String,
    #[serde(default)]
    pub kind: String,
    /// YYYY-MM-DD
    pub due_on: String,
    /// none, monthly, quarterly or yearly.
    #[serde(default)]
    pub recurrence: String,
    /// The owner's email (the contract's owner when empty).
    #[serde(default)]
    pub owner_email: String,
}

pub async fn obligations(app: &App, contract_id: i64) -> Result<Vec<Obligation>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OBLIGATION_SELECT} WHERE o.contract_id = $1 ORDER BY o.status, o.due_on, o.id"
    )))
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Adds an obligation to a contract.
pub async fn add_obligation(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    input: &ObligationInput,
) -> Result<Obligation, AppError> {
    let c = store::get(app, Some(user), contract_id).await?;
    let mut errs = vec![];
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        errs.push(FieldError::new(
            "title",
            "Describe the obligation (1 to 300 characters).",
        ));
    }
    let kind = if input.kind.trim().is_empty() {
        "other"
    } else {
        input.kind.trim()
    };
    if !KINDS.contains(&kind) {
        errs.push(FieldError::new(
            "kind",
            format!("Choose one of {}.", KINDS.join(", ")),
        ));
    }
    let recurrence = if input.recurrence.trim().is_empty() {
        "none"
    } else {
        input.recurrence.trim()
    };
    if !RECURRENCES.contains(&recurrence) {
        errs.push(FieldError::new(
            "recurrence",
            "Choose none, monthly, quarterly or yearly.",
        ));
    }
    let due = jiff::civil::Date::strptime("%Y-%m-%d", input.due_on.trim());
    if due.is_err() {
        errs.push(FieldError::new(
            "due_on",
            format!("`{}` is not a date (YYYY-MM-DD).", input.due_on.trim()),
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let owner = if input.owner_email.trim().is_empty() {
        c.owner_id
    } else {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE LOWER(email) = LOWER($1) AND status = 'active'",
        )
        .bind(input.owner_email.trim())
        .fetch_optional(&mut *tx)
        .await?;
        Some(id.ok_or_else(|| {
            AppError::field(
                "owner_email",
                format!("No active user {}.", input.owner_email.trim()),
            )
        })?)
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contract_obligations (contract_id, title, kind, owner_id, due_on, recurrence, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(contract_id)
    .bind(title)
    .bind(kind)
    .bind(owner)
    .bind(input.due_on.trim())
    .bind(recurrence)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.obligation_add",
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"obligation_id": id, "title": title, "kind": kind, "due_on": input.due_on.trim(), "recurrence": recurrence})),
        },
    )
    .await?;
    tx.commit().await?;
    obligation(app, id).await
}

async fn obligation(app: &App, id: i64) -> Result<Obligation, AppError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OBLIGATION_SELECT} WHERE o.id = $1"
    )))
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("obligation".into()))
}

/// Marks an obligation met (with its evidence) or waived; a recurring one gets its next
/// occurrence.
pub async fn complete_obligation(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    id: i64,
    waive: bool,
    evidence: &str,
) -> Result<Obligation, AppError> {
    store::get(app, Some(user), contract_id).await?;
    let o = obligation(app, id).await?;
    if o.contract_id != contract_id {
        return Err(AppError::NotFound("obligation".into()));
    }
    if o.status != "open" {
        return Err(AppError::Conflict(format!(
            "This obligation is already {}.",
            o.status
        )));
    }
    if !waive && evidence.trim().is_empty() {
        return Err(AppError::field(
            "evidence",
            "Say how it was met (a reference, a document, a payment).",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE contract_obligations SET status = $1, evidence = $2, completed_at = $3, completed_by = $4 WHERE id = $5")
        .bind(if waive { "waived" } else { "done" })
        .bind(evidence.trim())
        .bind(&now)
        .bind(user.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let months = match o.recurrence.as_str() {
        "monthly" => 1,
        "quarterly" => 3,
        "yearly" => 12,
        _ => 0,
    };
    let mut next = None;
    if months > 0
        && let Ok(d) = jiff::civil::Date::strptime("%Y-%m-%d", &o.due_on)
        && let Ok(n) = d.checked_add(jiff::Span::new().months(months))
    {
        let nid: i64 = sqlx::query_scalar(
            "INSERT INTO contract_obligations (contract_id, title, kind, owner_id, due_on, recurrence, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(contract_id)
        .bind(&o.title)
        .bind(&o.kind)
        .bind(o.owner_id)
        .bind(n.to_string())
        .bind(&o.recurrence)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        next = Some((nid, n.to_string()));
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: if waive {
                "contract.obligation_waive"
            } else {
                "contract.obligation_done"
            },
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"obligation_id": id, "evidence": evidence.trim(), "next": next})),
        },
    )
    .await?;
    tx.commit().await?;
    obligation(app, id).await
}

/// One line of the upcoming and overdue list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Upcoming {
    pub contract_id: i64,
    pub number: String,
    pub title: String,
    pub counterparty: String,
    pub owner_name: Option<String>,
    /// A key date kind (expiry, notice_deadline, send_notice_by, renewal) or `obligation`.
    pub kind: String,
    pub label: String,
    pub date: String,
    pub how: String,
    pub overdue: bool,
    pub obligation_id: Option<i64>,
}

/// Stored key dates are read in batches of this many contracts.
const REFRESH_BATCH: i64 = 2000;
/// `key_dates_until` of a contract whose stored dates do not move with time.
const FAR: &str = "9999-12-31";

/// Brings the stored key dates up to date: every contract changed since (its `key_dates_until`
/// cleared to '', which sorts before any day, so one index range finds all that is stale) or
/// whose current term has ended since (it renewed: its dates roll forward) is computed again; a
/// contract that is not executed keeps no rows. A new delivery allowance or a change to the holiday calendar recomputes all.
/// Returns how many contracts were computed.
pub async fn refresh(
    app: &App,
    today: jiff::civil::Date,
    delivery: i64,
) -> Result<usize, AppError> {
    // A pass stops when the calendar or the allowance changed under it (another refresh then
    // stamped a new basis): it starts again with the new one, so nothing computed with the old
    // calendar is stored as fresh.
    let mut total = 0;
    for _ in 0..10 {
        match refresh_pass(app, today, delivery).await? {
            Pass::Done(n) => return Ok(total + n),
            Pass::BasisChanged(n) => total += n,
        }
    }
    Err(AppError::Conflict(
        "the holiday calendar keeps changing; key dates will be computed on the next read".into(),
    ))
}

enum Pass {
    Done(usize),
    BasisChanged(usize),
}

async fn refresh_pass(
    app: &App,
    today: jiff::civil::Date,
    delivery: i64,
) -> Result<Pass, AppError> {
    // The stored dates were computed with a delivery allowance and a holiday calendar: when
    // either changes, every contract is computed again.
    let holidays = super::holidays::load(app).await?;
    let basis = format!("{delivery}|{}", super::holidays::digest(&holidays));
    let used = app.db.setting("contract_key_dates_basis").await?;
    if used.as_deref() != Some(basis.as_str()) {
        let mut tx = app.db.begin().await?;
        sqlx::query("UPDATE contracts SET key_dates_until = ''")
            .execute(&mut *tx)
            .await?;
        crate::platform::db::set_setting(&mut tx, "contract_key_dates_basis", &basis).await?;
        tx.commit().await?;
    }
    let today_s = today.to_string();
    let backend = app.db.backend();
    // Each contract once per call: one changed while it is computed stays stale for the next.
    let mut done = std::collections::HashSet::new();
    loop {
        // In the index's order (mark, then id), so that two refreshes at once take the same
        // rows in the same order.
        let stale: Vec<Contract> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} WHERE c.key_dates_until < $1 ORDER BY c.key_dates_until, c.id LIMIT {REFRESH_BATCH}",
            super::model::SELECT
        )))
        .bind(&today_s)
        .fetch_all(app.db.pool())
        .await?;
        let stale: Vec<Contract> = stale.into_iter().filter(|c| done.insert(c.id)).collect();
        if stale.is_empty() {
            break;
        }
        let ids = stale
            .iter()
            .map(|c| c.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut rows: Vec<(i64, &'static str, String, String)> = vec![];
        let mut marks: Vec<(i64, String, &str)> = vec![];
        let mut others: Vec<String> = vec![];
        for c in &stale {
            if c.status != "executed" {
                others.push(c.id.to_string());
                continue;
            }
            let ks = keydates::compute(&terms(c), today, delivery, &holidays);
            // A renewing term's dates hold until it ends; a term that does not roll (no renewal,
            // or no renewal period) keeps its dates.
            let until = ks
                .iter()
                .find(|k| k.kind == keydates::Kind::Expiry && k.date >= today)
                .filter(|_| c.auto_renew != 0)
                .map(|k| k.date.to_string());
            for k in ks.into_iter().filter(|k| !k.kind.is_informational()) {
                rows.push((c.id, k.kind.as_str(), k.date.to_string(), k.how));
            }
            marks.push((
                c.id,
                until.unwrap_or_else(|| FAR.into()),
                c.updated_at.as_str(),
            ));
        }
        let mut tx = app.db.begin().await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'contract_key_dates_basis'")
                .fetch_optional(&mut *tx)
                .await?;
        if current.as_deref() != Some(basis.as_str()) {
            tx.rollback().await?;
            return Ok(Pass::BasisChanged(done.len() - stale.len()));
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM contract_key_dates WHERE contract_id IN ({ids})"
        )))
        .execute(&mut *tx)
        .await?;
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO contract_key_dates (contract_id, kind, date, how) VALUES {} \
                 ON CONFLICT (contract_id, kind) DO UPDATE SET date = excluded.date, how = excluded.how",
                crate::platform::db::values(backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, kind, date, how) in chunk {
                q = q.bind(*id).bind(*kind).bind(date).bind(how);
            }
            q.execute(&mut *tx).await?;
        }
        // Only if the contract did not change meanwhile (a change clears the mark again): one
        // statement per 500 contracts (VALUES columns are column1… on both engines).
        for chunk in marks.chunks(500) {
            let sql = format!(
                "UPDATE contracts SET key_dates_until = v.column2 FROM (VALUES {}) AS v \
                 WHERE contracts.id = v.column1 AND contracts.updated_at = v.column3",
                crate::platform::db::values(backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, until, at) in chunk {
                q = q.bind(*id).bind(until).bind(*at);
            }
            q.execute(&mut *tx).await?;
        }
        if !others.is_empty() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE contracts SET key_dates_until = '{FAR}' WHERE id IN ({}) AND status <> 'executed'",
                others.join(",")
            )))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    Ok(Pass::Done(done.len()))
}

/// Key dates (of executed contracts) from today to `days_ahead` ahead and open obligations due
/// by then (overdue ones included), visible to `viewer`, soonest first; `mine` keeps only what
/// the viewer owns.
pub async fn upcoming(
    app: &App,
    viewer: Option<&CurrentUser>,
    days_ahead: i64,
    mine: bool,
) -> Result<Vec<Upcoming>, AppError> {
    Ok(upcoming_window(app, viewer, days_ahead, mine, None)
        .await?
        .0)
}

/// [`upcoming`] a page at a time: `Some((limit, offset))` reads only that page (and counts the
/// whole window); the total comes back with it. The ordering and paging are done by the
/// database over one union of dates and obligations.
pub async fn upcoming_window(
    app: &App,
    viewer: Option<&CurrentUser>,
    days_ahead: i64,
    mine: bool,
    page: Option<(i64, i64)>,
) -> Result<(Vec<Upcoming>, i64), AppError> {
    let today = today(app);
    let until = today
        .checked_add(jiff::Span::new().days(days_ahead))
        .unwrap_or(today);
    let delivery = delivery_days(app).await;
    refresh(app, today, delivery).await?;
    let uid = viewer.map(|u| u.id).unwrap_or(0);
    let vis = store::visible(viewer, 4);
    // $1 today, $2 the window's last day, $3 the owner for "mine" (0: everyone), $4 the viewer.
    let union = format!(
        "WITH upcoming_items AS (\
         SELECT c.id AS cid, c.number AS number, c.title AS title, c.counterparty AS counterparty, ou.name AS owner_name, \
         k.kind AS kind, '' AS otitle, k.date AS date, k.how AS how, CAST(NULL AS BIGINT) AS oid \
         FROM contract_key_dates k JOIN contracts c ON c.id = k.contract_id LEFT JOIN users ou ON ou.id = c.owner_id \
         WHERE k.date >= $1 AND k.date <= $2 AND c.status = 'executed' AND ($3 = 0 OR c.owner_id = $3){vis} \
         UNION ALL \
         SELECT c.id, c.number, c.title, c.counterparty, u.name, 'obligation', o.title, o.due_on, 'an obligation of the contract', o.id \
         FROM contract_obligations o JOIN contracts c ON c.id = o.contract_id LEFT JOIN users u ON u.id = o.owner_id \
         WHERE o.status = 'open' AND o.due_on <= $2 AND ($3 = 0 OR o.owner_id = $3){vis}) "
    );
    let today_s = today.to_string();
    let until_s = until.to_string();
    let owner = if mine { uid } else { 0 };
    let limit = match page {
        Some((limit, offset)) => format!(" LIMIT {} OFFSET {}", limit.max(0), offset.max(0)),
        None => String::new(),
    };
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        Option<i64>,
        i64,
    );
    let bind = |sql: String| {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(today_s.clone())
            .bind(until_s.clone())
            .bind(owner)
            .bind(uid)
    };
    // The page and the count of the whole window in one pass.
    let rows: Vec<Row> = bind(format!(
        "{union} SELECT cid, number, title, counterparty, owner_name, kind, otitle, date, how, oid, COUNT(*) OVER () FROM upcoming_items \
         ORDER BY date, number, kind, oid{limit}"
    ))
    .fetch_all(app.db.pool())
    .await?;
    let total = match (rows.first(), page) {
        (Some(r), _) => r.10,
        // A page past the end: count apart.
        (None, Some((_, offset))) if offset > 0 => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "{union} SELECT COUNT(*) FROM upcoming_items"
            )))
            .bind(&today_s)
            .bind(&until_s)
            .bind(owner)
            .bind(uid)
            .fetch_one(app.db.pool())
            .await?
        }
        (None, _) => 0,
    };
    let items: Vec<Upcoming> = rows
        .into_iter()
        .map(
            |(
                contract_id,
                number,
                title,
                counterparty,
                owner_name,
                kind,
                otitle,
                date,
                how,
                oid,
                _,
            )| {
                let label = match oid {
                    Some(_) => otitle,
                    None => keydates::Kind::parse(&kind)
                        .map_or("", keydates::Kind::label)
                        .to_string(),
                };
                Upcoming {
                    contract_id,
                    number,
                    title,
                    counterparty,
                    owner_name,
                    overdue: oid.is_some() && date < today_s,
                    kind,
                    label,
                    date,
                    how,
                    obligation_id: oid,
                }
            },
        )
        .collect();
    Ok((items, total))
}

/// What an alert run sent.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AlertRun {
    pub sent: usize,
}

/// Sends the alerts that are due today (or were missed): for each key date and open obligation
/// within the largest offset, once per offset, to the contract's (or obligation's) owner.
pub async fn run_alerts(app: &App) -> Result<AlertRun, AppError> {
    let offsets = offsets(app).await;
    let horizon = offsets.iter().copied().max().unwrap_or(0);
    let items = upcoming(app, None, horizon, false).await?;
    let today = today(app);
    let now = app.clock.now_text();
    let mut run = AlertRun::default();
    let mut tx = app.db.begin().await?;
    for it in items {
        let Ok(d) = jiff::civil::Date::strptime("%Y-%m-%d", &it.date) else {
            continue;
        };
        let days = if it.overdue {
            0
        } else {
            today.until(d).map(|s| s.get_days() as i64).unwrap_or(0)
        };
        // The smallest offset the date is already inside: alert once for it.
        let Some(offset) = offsets.iter().copied().filter(|o| days <= *o).min() else {
            continue;
        };
        let to: Option<String> = if let Some(oid) = it.obligation_id {
            sqlx::query_scalar("SELECT u.email FROM contract_obligations o JOIN users u ON u.id = o.owner_id WHERE o.id = $1")
                .bind(oid)
                .fetch_optional(&mut *tx)
                .await?
        } else {
            sqlx::query_scalar(
                "SELECT u.email FROM contracts c JOIN users u ON u.id = c.owner_id WHERE c.id = $1",
            )
            .bind(it.contract_id)
            .fetch_optional(&mut *tx)
            .await?
        };
        let Some(to) = to else { continue };
        let subject_key = match it.obligation_id {
            Some(o) => format!("obligation:{o}:{}", it.date),
            None => format!("{}:{}", it.kind, it.date),
        };
        let inserted = sqlx::query(
            "INSERT INTO contract_alerts (contract_id, subject, offset_days, to_addr, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(it.contract_id)
        .bind(&subject_key)
        .bind(offset)
        .bind(&to)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        let when = if it.overdue {
            "is overdue".to_string()
        } else if days == 0 {
            "is today".to_string()
        } else {
            format!("is in {days} day{}", if days == 1 { "" } else { "s" })
        };
        let link = format!(
            "{}/contracts/{}",
            app.settings.public_base().trim_end_matches('/'),
            it.contract_id
        );
        crate::platform::mail::queue(
            &mut tx,
            &now,
            &to,
            &format!("{}: {} {} ({})", it.number, it.label, when, it.date),
            &format!(
                "{} — {} ({})\n\n{}: {} {}.\nHow it was computed: {}.\n\nOpen the contract: {link}\n",
                it.number, it.title, it.counterparty, it.label, it.date, when, it.how
            ),
        )
        .await?;
        run.sent += 1;
    }
    tx.commit().await?;
    Ok(run)
}

/// The daily job: sends what is due, then queues tomorrow's run.
pub async fn job(app: App, _job: crate::platform::jobs::Job) -> crate::platform::jobs::JobResult {
    run_alerts(&app).await.map_err(|e| e.to_string())?;
    crate::platform::jobs::schedule_daily(&app, JOB, 1)
        .await
        .map_err(|e| e.to_string())
}

/// [`REFRESH_JOB`]: computes what is stale as of today.
pub async fn refresh_job(
    app: App,
    _job: crate::platform::jobs::Job,
) -> crate::platform::jobs::JobResult {
    let delivery = delivery_days(&app).await;
    refresh(&app, today(&app), delivery)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Escapes a text value (RFC 5545 3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

/// An iCalendar file of all-day events, one per upcoming line.
pub fn ics(name: &str, items: &[Upcoming], stamp: &str) -> String {
    let mut out = String::new();
    let dtstamp: String = stamp
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .take(15)
        .collect::<String>()
        + "Z";
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//lexops//contracts//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", ics_text(name)), &mut out);
    for it in items {
        let d = it.date.replace('-', "");
        let next = jiff::civil::Date::strptime("%Y-%m-%d", &it.date)
            .ok()
            .and_then(|x| x.checked_add(jiff::Span::new().days(1)).ok())
            .map(|x| x.to_string().replace('-', ""))
            .unwrap_or_else(|| d.clone());
        fold("BEGIN:VEVENT", &mut out);
        fold(
            &format!(
                "UID:contract-{}-{}-{}-{}@lexops",
                it.contract_id,
                it.kind,
                it.obligation_id.unwrap_or(0),
                d
            ),
            &mut out,
        );
        fold(&format!("DTSTAMP:{dtstamp}"), &mut out);
        fold(&format!("DTSTART;VALUE=DATE:{d}"), &mut out);
        fold(&format!("DTEND;VALUE=DATE:{next}"), &mut out);
        fold(
            &format!(
                "SUMMARY:{}",
                ics_text(&format!(
                    "{}: {} ({})",
                    it.number, it.label, it.counterparty
                ))
            ),
            &mut out,
        );
        fold(
            &format!(
                "DESCRIPTION:{}",
                ics_text(&format!("{}\n{}", it.title, it.how))
            ),
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

/// The signed token of a user's calendar feed (`user.mac`): a calendar program cannot sign in,
/// so the link is the credential; it names no secret and is checked in constant time.
pub fn feed_token(app: &App, user_id: i64) -> String {
    format!("{user_id}.{}", mac(app, user_id))
}

fn mac(app: &App, user_id: i64) -> String {
    use hmac::{KeyInit, Mac};
    let key = app.derived_key("contracts.calendar");
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    m.update(user_id.to_string().as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The user a feed token belongs to, if it is valid and the user active.
pub async fn feed_user(app: &App, token: &str) -> Result<Option<CurrentUser>, AppError> {
    let Some((id, m)) = token.split_once('.') else {
        return Ok(None);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    if !crate::platform::web::constant_eq(m, &mac(app, id)) {
        return Ok(None);
    }
    let u = crate::platform::users::get(app, id).await.ok();
    Ok(u.filter(|u| u.status == "active").map(|u| CurrentUser {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role(),
        via_token: true,
        vendor_id: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ics_lines_are_escaped_and_folded() {
        let it = Upcoming {
            contract_id: 7,
            number: "CT-2026-00007".into(),
            title: "Hosting, support; and more".into(),
            counterparty: "Northwind".into(),
            owner_name: None,
            kind: "notice_deadline".into(),
            label: "Last day for notice of non-renewal".into(),
            date: "2026-10-02".into(),
            how: "x".repeat(200),
            overdue: false,
            obligation_id: None,
        };
        let s = ics("Contracts", &[it], "2026-11-27T10:00:00.000000Z");
        assert!(s.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(s.contains("DTSTART;VALUE=DATE:20261002\r\nDTEND;VALUE=DATE:20261003\r\n"));
        assert!(s.contains("DTSTAMP:20261127T100000Z"), "{s}");
        assert!(s.contains("Hosting\\, support\\; and more"));
        assert!(s.lines().all(|l| l.len() <= 75), "{s}");
        assert!(s.ends_with("END:VCALENDAR\r\n"));
    }
}
