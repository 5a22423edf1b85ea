//! Legal hold notices: the custodians a hold binds, the notices they are sent through the
//! outbox (the initial notice, reminders to those who have not acknowledged, escalation to
//! their manager, periodic re-affirmation, release), their personal acknowledgement links and
//! their answers to the hold's questionnaire. Everything sent is in `hold_notices`, everything
//! answered in `hold_custodians`: together, the defensibility record ([`report`]).
//!
//! Notice texts are minijinja templates (the hold's own notice, editable; built-in prefaces for
//! reminders, escalations and release), rendered strictly: a misspelt variable is refused when
//! the hold is saved, never sent. An acknowledgement link is `hc.expires.mac`, the MAC an
//! HMAC-SHA256 under a key derived from the master key, so a link cannot be forged or altered,
//! stops working when it expires, and is refused once the hold is released.

use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;

use crate::App;
use crate::platform::audit::{self, Actor, Change};
use crate::platform::db::{Tx, backend_of, values};
use crate::platform::error::{AppError, FieldError};
use crate::platform::mail::{self, Draft};
use crate::platform::time::{fmt_ts, parse_ts};

/// The notice a new hold starts with (the issuing attorney edits it per hold).
pub const DEFAULT_SUBJECT: &str = "Legal hold notice: {{ hold.name }}";
pub const DEFAULT_TEMPLATE: &str = "Dear {{ custodian.name }},

The legal department has placed a legal hold, \"{{ hold.name }}\"{% if hold.matter %}, in matter {{ hold.matter }}{% endif %}.
{% if hold.description %}
{{ hold.description }}
{% endif %}
You must preserve every document and all data, on paper or electronic, that relate to this matter{% if hold.date_from %}, from {{ hold.date_from }}{% if hold.date_to %} to {{ hold.date_to }}{% endif %}{% endif %}: email, files, chats, notes and any copies.{% if hold.sources %} This includes:
{% for s in hold.sources %}  - {{ s.name }}{% if s.kind %} ({{ s.kind }}){% endif %}
{% endfor %}{% endif %}
Do not delete, change or discard any of it, even where a retention policy or an automatic
clean-up would otherwise allow it. This duty lasts until you are told in writing that the hold
is released.

Confirm that you have read this notice and will comply{% if hold.questions %}, and answer {{ hold.questions|length }} short question{% if hold.questions|length > 1 %}s{% endif %}{% endif %}, here:
{{ link }}
The link is personal to you and works until {{ link_expires }}.

Questions about this hold: {{ attorney.name }}{% if attorney.email %} ({{ attorney.email }}){% endif %}.
";

const REMINDER: &str = "Reminder: you have not yet acknowledged the legal hold \"{{ hold.name }}\" sent to you on {{ notified_on }}. Please read it and acknowledge it now:
{{ link }}

----------------------------------------------------------------------

";
const REAFFIRMATION: &str = "The legal hold \"{{ hold.name }}\" is still in force. Please read it again and confirm that you are still preserving everything it covers:
{{ link }}

----------------------------------------------------------------------

";
const ESCALATION_SUBJECT: &str =
    "Action needed: {{ custodian.name }} has not acknowledged a legal hold";
const ESCALATION: &str = "Dear colleague,

{{ custodian.name }} ({{ custodian.email }}), who reports to you, was sent the legal hold notice \"{{ hold.name }}\" on {{ notified_on }} and has not acknowledged it after {{ reminders }} reminder{% if reminders != 1 %}s{% endif %}.

A legal hold is a legal duty to preserve documents and data. Please make sure {{ custodian.name }} reads the notice and acknowledges it with the link in their email, and contact {{ attorney.name }}{% if attorney.email %} ({{ attorney.email }}){% endif %} if there is a reason they cannot.
";
const RELEASE_SUBJECT: &str = "Legal hold released: {{ hold.name }}";
const RELEASE: &str = "Dear {{ custodian.name }},

The legal hold \"{{ hold.name }}\"{% if hold.matter %} (matter {{ hold.matter }}){% endif %} was released on {{ released_on }}. You no longer need to keep documents and data for it.
{% if other_holds %}
You remain under {{ other_holds|length }} other legal hold{% if other_holds|length > 1 %}s{% endif %}: {{ other_holds|join(\", \") }}. Keep preserving everything those holds cover, including documents that relate to this one.
{% else %}
Documents and data go back to the normal retention schedule.
{% endif %}
Questions: {{ attorney.name }}{% if attorney.email %} ({{ attorney.email }}){% endif %}.
";

/// A strict, fuel-limited template environment (a user-edited template cannot loop forever).
fn env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_fuel(Some(200_000));
    env
}

/// Renders `src` with `ctx`: the error names the line.
pub fn render(src: &str, ctx: &serde_json::Value) -> Result<String, String> {
    let env = env();
    let tmpl = env
        .template_from_str(src)
        .map_err(|e| describe_template_error(&e))?;
    tmpl.render(minijinja::value::Serde(ctx))
        .map_err(|e| describe_template_error(&e))
}

fn describe_template_error(e: &minijinja::Error) -> String {
    let what = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    match e.line() {
        Some(l) => format!("line {l}: {what}"),
        None => what,
    }
}

/// What a hold's notice text can use, filled in for a sample custodian: saving a hold renders
/// its template with this first, so a typo is an error on the form, never a broken email.
pub fn sample_context(hold: &serde_json::Value) -> serde_json::Value {
    json!({
        "custodian": {"name": "Sam Sample", "email": "sam.sample@example.com", "department": "Finance"},
        "hold": hold,
        "attorney": {"name": "The issuing attorney", "email": "attorney@example.com"},
        "link": "https://lexops.example/hold-notice/sample",
        "link_expires": "2030-01-31",
    })
}

// ---- Acknowledgement links ----

type HmacSha256 = Hmac<Sha256>;

fn mac(app: &App, payload: &str) -> String {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(&app.derived_key("hold-ack-link-v1"))
        .expect("HMAC takes any key length");
    m.update(payload.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// A custodian's link token for their place on a hold (`hold_custodians.id`), valid until
/// `expires`.
pub fn link_token(app: &App, hc_id: i64, expires: Timestamp) -> String {
    let payload = format!("{hc_id}.{}", expires.as_second());
    let m = mac(app, &payload);
    format!("{payload}.{m}")
}

/// Why a link opens nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link lexops made (altered, truncated, made up).
    Invalid,
    /// Past its date.
    Expired(String),
}

/// Checks a token's signature and date; returns the `hold_custodians` id.
pub fn check_token(app: &App, token: &str) -> Result<i64, LinkProblem> {
    let mut parts = token.splitn(3, '.');
    let (Some(hc), Some(exp), Some(given)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LinkProblem::Invalid);
    };
    let (Ok(hc_id), Ok(exp_s)) = (hc.parse::<i64>(), exp.parse::<i64>()) else {
        return Err(LinkProblem::Invalid);
    };
    let expected = mac(app, &format!("{hc_id}.{exp_s}"));
    if !crate::platform::web::constant_eq(given, &expected) {
        return Err(LinkProblem::Invalid);
    }
    let expires = Timestamp::from_second(exp_s).map_err(|_| LinkProblem::Invalid)?;
    if app.clock.now() >= expires {
        return Err(LinkProblem::Expired(day_of(&fmt_ts(expires))));
    }
    Ok(hc_id)
}

fn day_of(ts: &str) -> String {
    ts.get(..10).unwrap_or(ts).to_string()
}

// ---- Holds as notices see them ----

/// A hold as its notices see it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HoldNoticeInfo {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: String,
    pub issued_at: String,
    pub released_at: Option<String>,
    pub matter: Option<String>,
    pub matter_name: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub attorney_name: Option<String>,
    pub attorney_email: Option<String>,
    pub notice_subject: String,
    pub notice_template: String,
    pub questionnaire: String,
    pub reminder_days: i64,
    pub escalate_days: i64,
    pub reaffirm_days: i64,
    pub link_days: i64,
}

impl HoldNoticeInfo {
    pub fn issued_on(&self) -> String {
        crate::platform::time::human(&self.issued_at)
    }
    pub fn released_on(&self) -> String {
        self.released_at
            .as_deref()
            .map(crate::platform::time::human)
            .unwrap_or_default()
    }
    pub fn questions(&self) -> Vec<String> {
        questions(&self.questionnaire)
    }
}

/// The questions of a questionnaire: one per non-empty line.
pub fn questions(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A data source a hold names.
#[derive(Clone, Debug, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Source {
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub owner: String,
}

pub async fn hold_info(
    conn: &mut sqlx::AnyConnection,
    hold_id: i64,
) -> Result<Option<HoldNoticeInfo>, sqlx::Error> {
    sqlx::query_as::<_, HoldNoticeInfo>(
        "SELECT h.id, h.name, h.description, h.status, h.issued_at, h.released_at, m.number AS matter, m.name AS matter_name, \
         h.date_from, h.date_to, u.name AS attorney_name, u.email AS attorney_email, h.notice_subject, h.notice_template, \
         h.questionnaire, h.reminder_days, h.escalate_days, h.reaffirm_days, h.link_days \
         FROM legal_holds h LEFT JOIN matters m ON m.id = h.matter_id LEFT JOIN users u ON u.id = COALESCE(h.attorney_id, h.issued_by) \
         WHERE h.id = $1",
    )
    .bind(hold_id)
    .fetch_optional(conn)
    .await
}

pub async fn sources(
    conn: &mut sqlx::AnyConnection,
    hold_id: i64,
) -> Result<Vec<Source>, sqlx::Error> {
    sqlx::query_as("SELECT name, kind, owner FROM hold_sources WHERE hold_id = $1 ORDER BY id")
        .bind(hold_id)
        .fetch_all(conn)
        .await
}

/// The `hold` object templates see.
pub fn hold_context(h: &HoldNoticeInfo, sources: &[Source]) -> serde_json::Value {
    json!({
        "name": h.name,
        "description": h.description,
        "matter": h.matter.clone().unwrap_or_default(),
        "matter_name": h.matter_name.clone().unwrap_or_default(),
        "date_from": h.date_from.clone().unwrap_or_default(),
        "date_to": h.date_to.clone().unwrap_or_default(),
        "issued_on": day_of(&h.issued_at),
        "sources": sources,
        "questions": h.questions(),
    })
}

fn attorney_context(h: &HoldNoticeInfo) -> serde_json::Value {
    json!({
        "name": h.attorney_name.clone().unwrap_or_else(|| "the legal department".into()),
        "email": h.attorney_email.clone().unwrap_or_default(),
    })
}

/// A custodian's place on a hold, with where they stand.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OnHold {
    /// The place's id (`hold_custodians.id`).
    pub id: i64,
    pub hold_id: i64,
    pub custodian_id: i64,
    pub name: String,
    pub email: String,
    pub department: String,
    pub manager_email: String,
    pub employee_status: String,
    pub added_at: String,
    pub notified_at: Option<String>,
    pub last_notice_at: Option<String>,
    pub reminders: i64,
    pub escalated_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub affirmed_at: Option<String>,
    pub reaffirm_sent_at: Option<String>,
    pub answers_json: String,
    pub released_at: Option<String>,
    /// Messages to them (or their manager) for this hold still waiting in the outbox.
    pub pending_mail: i64,
}

impl OnHold {
    /// `released`, `outstanding` (never acknowledged), `reaffirm` (a re-affirmation is
    /// awaited) or `acknowledged`.
    pub fn state(&self) -> &'static str {
        if self.released_at.is_some() {
            "released"
        } else if self.acknowledged_at.is_none() {
            "outstanding"
        } else if self.reaffirm_sent_at.as_deref() > self.affirmed_at.as_deref() {
            "reaffirm"
        } else {
            "acknowledged"
        }
    }
    /// A stored instant of this place, short for pages (`2026-11-26 23:07 UTC`, or empty).
    pub fn when(&self, which: &str) -> String {
        let v = match which {
            "added" => Some(&self.added_at),
            "notified" => self.notified_at.as_ref(),
            "last_notice" => self.last_notice_at.as_ref(),
            "escalated" => self.escalated_at.as_ref(),
            "acknowledged" => self.acknowledged_at.as_ref(),
            "affirmed" => self.affirmed_at.as_ref(),
            "released" => self.released_at.as_ref(),
            _ => None,
        };
        v.map(|s| crate::platform::time::human(s))
            .unwrap_or_default()
    }

    /// The questionnaire's answers, as (question, answer).
    pub fn answers(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.answers_json).unwrap_or_default()
    }
}

const ON_HOLD: &str = "SELECT hc.id, hc.hold_id, hc.custodian_id, c.name, c.email, c.department, c.manager_email, c.employee_status, \
    hc.added_at, hc.notified_at, hc.last_notice_at, hc.reminders, hc.escalated_at, hc.acknowledged_at, hc.affirmed_at, \
    hc.reaffirm_sent_at, hc.answers_json, hc.released_at, \
    (SELECT COUNT(*) FROM hold_notices n JOIN mail_outbox o ON o.id = n.mail_id WHERE n.hold_id = hc.hold_id AND n.custodian_id = hc.custodian_id AND o.sent_at IS NULL) AS pending_mail \
    FROM hold_custodians hc JOIN custodians c ON c.id = hc.custodian_id";

/// The custodians of a hold, by name.
pub async fn custodians_of(app: &App, hold_id: i64) -> Result<Vec<OnHold>, AppError> {
    Ok(sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!(
        "{ON_HOLD} WHERE hc.hold_id = $1 ORDER BY c.name, c.email"
    )))
    .bind(hold_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Every hold a custodian is (or was) on.
pub async fn holds_of(
    app: &App,
    custodian_id: i64,
) -> Result<Vec<(OnHold, String, String)>, AppError> {
    let rows = sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!(
        "{ON_HOLD} WHERE hc.custodian_id = $1 ORDER BY hc.hold_id DESC"
    )))
    .bind(custodian_id)
    .fetch_all(app.db.pool())
    .await?;
    let mut out = vec![];
    for r in rows {
        let (name, status): (String, String) =
            sqlx::query_as("SELECT name, status FROM legal_holds WHERE id = $1")
                .bind(r.hold_id)
                .fetch_one(app.db.pool())
                .await?;
        out.push((r, name, status));
    }
    Ok(out)
}

/// One message of a hold's log.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NoticeRow {
    pub id: i64,
    pub custodian_id: i64,
    pub custodian_email: String,
    pub kind: String,
    pub to_addr: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl NoticeRow {
    /// `created` or `sent`, short for pages.
    pub fn when(&self, which: &str) -> String {
        match which {
            "created" => crate::platform::time::human(&self.created_at),
            _ => self
                .sent_at
                .as_deref()
                .map(crate::platform::time::human)
                .unwrap_or_default(),
        }
    }
}

/// Every message sent (or waiting) for a hold, newest first.
pub async fn log(app: &App, hold_id: i64) -> Result<Vec<NoticeRow>, AppError> {
    Ok(sqlx::query_as::<_, NoticeRow>(
        "SELECT n.id, n.custodian_id, c.email AS custodian_email, n.kind, n.to_addr, n.created_at, o.sent_at, \
         COALESCE(o.attempts, 0) AS attempts, o.last_error \
         FROM hold_notices n JOIN custodians c ON c.id = n.custodian_id LEFT JOIN mail_outbox o ON o.id = n.mail_id \
         WHERE n.hold_id = $1 ORDER BY n.id DESC",
    )
    .bind(hold_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// `n` parameters for an `IN (…)` list.
fn placeholders(backend: crate::platform::db::Backend, n: usize) -> String {
    let v = values(backend, n, 1);
    // values() gives "(?),(?)…"; an IN list wants "?,?…".
    v.replace(['(', ')'], "")
}

// ---- Sending ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Notice,
    Reminder,
    Escalation,
    Reaffirmation,
    Release,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Notice => "notice",
            Kind::Reminder => "reminder",
            Kind::Escalation => "escalation",
            Kind::Reaffirmation => "reaffirmation",
            Kind::Release => "release",
        }
    }
}

/// Renders and queues one kind of message for the given places on a hold, inside `tx`, and
/// records each in the hold's log and on the place. Returns how many were queued.
pub async fn send(
    app: &App,
    tx: &mut Tx,
    hold_id: i64,
    kind: Kind,
    places: &[OnHold],
) -> Result<usize, AppError> {
    if places.is_empty() {
        return Ok(0);
    }
    let now = app.clock.now();
    let now_text = fmt_ts(now);
    let h = hold_info(tx, hold_id)
        .await?
        .ok_or_else(|| AppError::NotFound("legal hold".into()))?;
    let srcs = sources(tx, hold_id).await?;
    let hold = hold_context(&h, &srcs);
    let attorney = attorney_context(&h);
    let expires = now + SignedDuration::from_hours(24 * h.link_days.clamp(1, 3650));
    let env = env();
    fn compile_t<'e, 's>(
        env: &'e minijinja::Environment<'static>,
        src: &'s str,
        hold_id: i64,
    ) -> Result<minijinja::Template<'e, 's>, AppError> {
        env.template_from_str(src).map_err(|e| {
            AppError::BadRequest(format!(
                "the notice template of hold {hold_id} is not valid: {}",
                describe_template_error(&e)
            ))
        })
    }
    let subject_t = match kind {
        Kind::Escalation => compile_t(&env, ESCALATION_SUBJECT, hold_id)?,
        Kind::Release => compile_t(&env, RELEASE_SUBJECT, hold_id)?,
        _ => compile_t(&env, &h.notice_subject, hold_id)?,
    };
    let notice_t = compile_t(&env, &h.notice_template, hold_id)?;
    let preface_t = match kind {
        Kind::Reminder => Some(compile_t(&env, REMINDER, hold_id)?),
        Kind::Reaffirmation => Some(compile_t(&env, REAFFIRMATION, hold_id)?),
        Kind::Escalation => Some(compile_t(&env, ESCALATION, hold_id)?),
        Kind::Release => Some(compile_t(&env, RELEASE, hold_id)?),
        Kind::Notice => None,
    };
    // Release: the other active holds each custodian stays under.
    let mut others: std::collections::HashMap<i64, Vec<String>> = Default::default();
    if kind == Kind::Release {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT hc.custodian_id, h.name FROM hold_custodians hc JOIN legal_holds h ON h.id = hc.hold_id \
             WHERE h.status = 'active' AND h.id <> $1 AND hc.released_at IS NULL AND hc.custodian_id IN \
             (SELECT custodian_id FROM hold_custodians WHERE hold_id = $1) ORDER BY h.name",
        )
        .bind(hold_id)
        .fetch_all(&mut **tx)
        .await?;
        for (c, n) in rows {
            others.entry(c).or_default().push(n);
        }
    }
    let mut drafts = Vec::with_capacity(places.len());
    let mut logged = Vec::with_capacity(places.len());
    for p in places {
        let to = match kind {
            Kind::Escalation => {
                if p.manager_email.trim().is_empty() {
                    continue;
                }
                p.manager_email.clone()
            }
            _ => p.email.clone(),
        };
        let link = format!(
            "{}/hold-notice/{}",
            app.settings.public_base(),
            link_token(app, p.id, expires)
        );
        let ctx = json!({
            "custodian": {"name": p.name, "email": p.email, "department": p.department},
            "hold": hold,
            "attorney": attorney,
            "link": link,
            "link_expires": day_of(&fmt_ts(expires)),
            "notified_on": p.notified_at.as_deref().map(day_of).unwrap_or_default(),
            "reminders": p.reminders,
            "released_on": day_of(h.released_at.as_deref().unwrap_or(&now_text)),
            "other_holds": others.get(&p.custodian_id).cloned().unwrap_or_default(),
        });
        let ctx = minijinja::Value::from(minijinja::value::Serde(&ctx));
        let fail = |e: minijinja::Error| {
            AppError::BadRequest(format!(
                "the {} for hold {hold_id} cannot be written: {}",
                kind.as_str(),
                describe_template_error(&e)
            ))
        };
        let subject = subject_t.render(&ctx).map_err(fail)?;
        let subject = match kind {
            Kind::Reminder => format!("Reminder: {subject}"),
            Kind::Reaffirmation => format!("Still in force: {subject}"),
            _ => subject,
        };
        let mut body = preface_t
            .as_ref()
            .map(|t| t.render(&ctx))
            .transpose()
            .map_err(fail)?
            .unwrap_or_default();
        if matches!(kind, Kind::Notice | Kind::Reminder | Kind::Reaffirmation) {
            body.push_str(&notice_t.render(&ctx).map_err(fail)?);
        }
        drafts.push(Draft {
            to: to.clone(),
            subject: subject.lines().next().unwrap_or("").trim().to_string(),
            body,
            origin: format!("hold_custodian:{}:{}:{}", p.id, kind.as_str(), now_text),
        });
        logged.push((p, to));
    }
    let ids = mail::queue_batch(tx, &now_text, &drafts).await?;
    let backend = backend_of(tx);
    for (chunk, id_chunk) in logged.chunks(1000).zip(ids.chunks(1000)) {
        let sql = format!(
            "INSERT INTO hold_notices (hold_id, custodian_id, kind, to_addr, mail_id, created_at) VALUES {}",
            values(backend, chunk.len(), 6)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((p, to), id) in chunk.iter().zip(id_chunk) {
            q = q
                .bind(hold_id)
                .bind(p.custodian_id)
                .bind(kind.as_str())
                .bind(to.as_str())
                .bind(*id)
                .bind(&now_text);
        }
        q.execute(&mut **tx).await?;
        let set = match kind {
            Kind::Notice => "notified_at = COALESCE(notified_at, $1), last_notice_at = $1",
            Kind::Reminder => "last_notice_at = $1, reminders = reminders + 1",
            Kind::Escalation => "escalated_at = $1",
            Kind::Reaffirmation => "reaffirm_sent_at = $1, last_notice_at = $1",
            Kind::Release => "released_at = $1",
        };
        let list = chunk
            .iter()
            .map(|(p, _)| p.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE hold_custodians SET {set} WHERE id IN ({list})"
        )))
        .bind(&now_text)
        .execute(&mut **tx)
        .await?;
    }
    Ok(drafts.len())
}

/// Adds custodians (directory emails) to an active hold and sends each new one the notice, in
/// one transaction: all of them or, when an email is unknown, none. Custodians already on the
/// hold are left as they are. Returns how many were added.
pub async fn add_custodians(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    hold_id: i64,
    emails: &[String],
) -> Result<usize, AppError> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM legal_holds WHERE id = $1")
        .bind(hold_id)
        .fetch_optional(&mut **tx)
        .await?;
    match status.as_deref() {
        None => return Err(AppError::NotFound("legal hold".into())),
        Some("active") => {}
        Some(_) => {
            return Err(AppError::Conflict(
                "this hold is released: place a new hold to bind more custodians".into(),
            ));
        }
    }
    let mut wanted: Vec<String> = emails
        .iter()
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    wanted.sort();
    wanted.dedup();
    // Looked up and added a thousand at a time: a hold on 10,000 custodians is a few dozen
    // statements.
    let backend = backend_of(tx);
    let mut known: std::collections::HashMap<String, i64> = Default::default();
    for chunk in wanted.chunks(1000) {
        let sql = format!(
            "SELECT LOWER(email), id FROM custodians WHERE LOWER(email) IN ({})",
            placeholders(backend, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(e);
        }
        known.extend(q.fetch_all(&mut **tx).await?);
    }
    let unknown: Vec<&String> = wanted.iter().filter(|e| !known.contains_key(*e)).collect();
    if !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(20).map(|s| s.as_str()).collect();
        return Err(AppError::Validation(vec![FieldError::new(
            "custodians",
            format!(
                "Not in the custodian directory: {}{}. Import them first (Holds → Custodians).",
                shown.join(", "),
                if unknown.len() > 20 {
                    format!(" and {} more", unknown.len() - 20)
                } else {
                    String::new()
                }
            ),
        )]));
    }
    let now = app.clock.now_text();
    let ids: Vec<i64> = wanted.iter().map(|e| known[e]).collect();
    let mut added = vec![];
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "INSERT INTO hold_custodians (hold_id, custodian_id, added_at, notified_at, last_notice_at) VALUES {} ON CONFLICT DO NOTHING RETURNING id",
            values(backend, chunk.len(), 5)
        );
        // Notified now: the notice is queued below, in this transaction.
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(hold_id).bind(*id).bind(&now).bind(&now).bind(&now);
        }
        added.extend(q.fetch_all(&mut **tx).await?);
    }
    // Each custodian's records are preserved by the hold.
    sqlx::query(
        "INSERT INTO hold_scope (hold_id, kind, value) SELECT hold_id, 'custodian', CAST(custodian_id AS TEXT) \
         FROM hold_custodians WHERE hold_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(hold_id)
    .execute(&mut **tx)
    .await?;
    if added.is_empty() {
        return Ok(0);
    }
    let list = added
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let places = sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!(
        "{ON_HOLD} WHERE hc.id IN ({list}) ORDER BY hc.id"
    )))
    .fetch_all(&mut **tx)
    .await?;
    send(app, tx, hold_id, Kind::Notice, &places).await?;
    audit::record(
        tx,
        &now,
        actor,
        Change {
            action: "hold.custodians_add",
            object_type: "legal_hold",
            object_id: hold_id.to_string(),
            before: None,
            after: Some(json!({"custodians": places.iter().map(|p| &p.email).collect::<Vec<_>>(), "notices": places.len()})),
        },
    )
    .await?;
    Ok(places.len())
}

/// Sends the release notice to every custodian of a hold just released (inside the release's
/// transaction).
pub async fn send_release(app: &App, tx: &mut Tx, hold_id: i64) -> Result<usize, AppError> {
    let places = sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!(
        "{ON_HOLD} WHERE hc.hold_id = $1 AND hc.released_at IS NULL ORDER BY hc.id"
    )))
    .bind(hold_id)
    .fetch_all(&mut **tx)
    .await?;
    send(app, tx, hold_id, Kind::Release, &places).await
}

/// What a schedule run sent.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ScheduleOutcome {
    pub reminders: usize,
    pub escalations: usize,
    pub reaffirmations: usize,
}

fn days_since(now: Timestamp, ts: Option<&str>) -> Option<i64> {
    let t = parse_ts(ts?)?;
    Some((now.as_second() - t.as_second()).div_euclid(86_400))
}

/// The notices due now on every active hold: a reminder every `reminder_days` to those who
/// have not acknowledged (or re-affirmed), one escalation to the manager `escalate_days`
/// after the notice, a re-affirmation `reaffirm_days` after the last acknowledgement.
pub async fn run_schedule(app: &App) -> Result<ScheduleOutcome, AppError> {
    let now = app.clock.now();
    let holds: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, reminder_days, escalate_days, reaffirm_days FROM legal_holds WHERE status = 'active' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await?;
    let mut out = ScheduleOutcome::default();
    for (hold_id, reminder_days, escalate_days, reaffirm_days) in holds {
        let places = sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!(
            "{ON_HOLD} WHERE hc.hold_id = $1 AND hc.released_at IS NULL AND hc.notified_at IS NOT NULL ORDER BY hc.id"
        )))
        .bind(hold_id)
        .fetch_all(app.db.pool())
        .await?;
        let (mut remind, mut escalate, mut reaffirm) = (vec![], vec![], vec![]);
        for p in places {
            let waiting = matches!(p.state(), "outstanding" | "reaffirm");
            if waiting
                && reminder_days > 0
                && days_since(now, p.last_notice_at.as_deref()).is_some_and(|d| d >= reminder_days)
            {
                remind.push(p.clone());
            }
            if p.state() == "outstanding"
                && p.escalated_at.is_none()
                && escalate_days > 0
                && !p.manager_email.is_empty()
                && days_since(now, p.notified_at.as_deref()).is_some_and(|d| d >= escalate_days)
            {
                escalate.push(p.clone());
            }
            if p.state() == "acknowledged"
                && reaffirm_days > 0
                && days_since(now, p.affirmed_at.as_deref()).is_some_and(|d| d >= reaffirm_days)
            {
                reaffirm.push(p);
            }
        }
        if remind.is_empty() && escalate.is_empty() && reaffirm.is_empty() {
            continue;
        }
        let mut tx = app.db.begin().await?;
        out.reminders += send(app, &mut tx, hold_id, Kind::Reminder, &remind).await?;
        out.escalations += send(app, &mut tx, hold_id, Kind::Escalation, &escalate).await?;
        out.reaffirmations += send(app, &mut tx, hold_id, Kind::Reaffirmation, &reaffirm).await?;
        tx.commit().await?;
    }
    if out.reminders + out.escalations + out.reaffirmations > 0 {
        app.wake_jobs();
    }
    Ok(out)
}

/// The daily `holds.notices` job: sends what is due, then queues tomorrow's run.
pub async fn schedule_job(
    app: App,
    _job: crate::platform::jobs::Job,
) -> crate::platform::jobs::JobResult {
    run_schedule(&app).await.map_err(|e| e.to_string())?;
    crate::platform::jobs::schedule_daily(&app, "holds.notices", 1)
        .await
        .map_err(|e| e.to_string())
}

// ---- The custodian's page ----

/// What a link opens: the hold and the custodian's place on it.
pub struct Opened {
    pub hold: HoldNoticeInfo,
    pub place: OnHold,
    pub notice: String,
}

/// Why a valid-looking link cannot be used.
#[derive(Clone, Debug)]
pub enum Closed {
    Link(LinkProblem),
    /// The hold was released (the day).
    Released(String),
}

/// Opens a link: the notice as the custodian got it.
pub async fn open(app: &App, token: &str) -> Result<Result<Opened, Closed>, AppError> {
    let hc_id = match check_token(app, token) {
        Ok(id) => id,
        Err(p) => return Ok(Err(Closed::Link(p))),
    };
    let Some(place) =
        sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!("{ON_HOLD} WHERE hc.id = $1")))
            .bind(hc_id)
            .fetch_optional(app.db.pool())
            .await?
    else {
        return Ok(Err(Closed::Link(LinkProblem::Invalid)));
    };
    let mut conn = app.db.pool().acquire().await?;
    let hold = hold_info(&mut conn, place.hold_id)
        .await?
        .ok_or_else(|| AppError::NotFound("legal hold".into()))?;
    if hold.status != "active" || place.released_at.is_some() {
        let day = hold
            .released_at
            .clone()
            .or(place.released_at.clone())
            .unwrap_or_default();
        return Ok(Err(Closed::Released(day_of(&day))));
    }
    let srcs = sources(&mut conn, hold.id).await?;
    drop(conn);
    let ctx = json!({
        "custodian": {"name": place.name, "email": place.email, "department": place.department},
        "hold": hold_context(&hold, &srcs),
        "attorney": attorney_context(&hold),
        "link": "the form below",
        "link_expires": token
            .split('.')
            .nth(1)
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|s| Timestamp::from_second(s).ok())
            .map(|t| day_of(&fmt_ts(t)))
            .unwrap_or_default(),
    });
    let notice = render(&hold.notice_template, &ctx).map_err(AppError::BadRequest)?;
    Ok(Ok(Opened {
        hold,
        place,
        notice,
    }))
}

/// The custodian acknowledges (first time or re-affirmation) and answers the questionnaire.
/// Every question needs an answer the first time; a re-affirmation may leave them as they were.
pub async fn acknowledge(
    app: &App,
    token: &str,
    answers: &[String],
) -> Result<Result<OnHold, Closed>, AppError> {
    let opened = match open(app, token).await? {
        Ok(o) => o,
        Err(c) => return Ok(Err(c)),
    };
    let qs = opened.hold.questions();
    let mut pairs = vec![];
    let mut errs = vec![];
    for (i, q) in qs.iter().enumerate() {
        let a = answers.get(i).map(|s| s.trim()).unwrap_or("");
        if a.is_empty() {
            errs.push(FieldError::new(&format!("q{i}"), "Answer this question."));
        } else if a.chars().count() > 4000 {
            errs.push(FieldError::new(
                &format!("q{i}"),
                "Keep the answer under 4,000 characters.",
            ));
        }
        pairs.push((q.clone(), a.to_string()));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    // Checked again inside the transaction: a release between the page and the click wins.
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT hc.id FROM hold_custodians hc JOIN legal_holds h ON h.id = hc.hold_id WHERE hc.id = $1 AND h.status = 'active' AND hc.released_at IS NULL",
    )
    .bind(opened.place.id)
    .fetch_optional(&mut *tx)
    .await?;
    if live.is_none() {
        return Ok(Err(Closed::Released(day_of(&now))));
    }
    sqlx::query(
        "UPDATE hold_custodians SET acknowledged_at = COALESCE(acknowledged_at, $1), affirmed_at = $1, answers_json = $2 WHERE id = $3",
    )
    .bind(&now)
    .bind(serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into()))
    .bind(opened.place.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &now,
        &Actor::system(&format!("custodian:{}", opened.place.email)),
        Change {
            action: if opened.place.acknowledged_at.is_some() {
                "hold.reaffirm"
            } else {
                "hold.acknowledge"
            },
            object_type: "legal_hold",
            object_id: opened.hold.id.to_string(),
            before: None,
            after: Some(json!({"custodian": opened.place.email, "answers": pairs.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    let place =
        sqlx::query_as::<_, OnHold>(sqlx::AssertSqlSafe(format!("{ON_HOLD} WHERE hc.id = $1")))
            .bind(opened.place.id)
            .fetch_one(app.db.pool())
            .await?;
    Ok(Ok(place))
}

// ---- Reports ----

/// The columns of a hold's report (the defensibility record): one row per custodian.
pub const REPORT_HEADERS: &[&str] = &[
    "custodian",
    "email",
    "department",
    "manager_email",
    "employee_status",
    "state",
    "added_at",
    "notified_at",
    "reminders",
    "last_notice_at",
    "escalated_at",
    "acknowledged_at",
    "last_affirmed_at",
    "released_at",
    "pending_messages",
    "answers",
];

/// The rows of a hold's report (for `csv_response`, which neutralises formulas).
pub fn report_rows(places: &[OnHold]) -> Vec<Vec<String>> {
    places
        .iter()
        .map(|p| {
            let answers = p
                .answers()
                .into_iter()
                .map(|(q, a)| format!("{q}: {a}"))
                .collect::<Vec<_>>()
                .join(" | ");
            vec![
                p.name.clone(),
                p.email.clone(),
                p.department.clone(),
                p.manager_email.clone(),
                p.employee_status.clone(),
                p.state().to_string(),
                p.added_at.clone(),
                p.notified_at.clone().unwrap_or_default(),
                p.reminders.to_string(),
                p.last_notice_at.clone().unwrap_or_default(),
                p.escalated_at.clone().unwrap_or_default(),
                p.acknowledged_at.clone().unwrap_or_default(),
                p.affirmed_at.clone().unwrap_or_default(),
                p.released_at.clone().unwrap_or_default(),
                p.pending_mail.to_string(),
                answers,
            ]
        })
        .collect()
}

/// A hold's report as PDF: the hold, its scope and sources, every custodian's standing and
/// answers, and every message sent for it.
pub async fn report_pdf(app: &App, hold_id: i64) -> Result<Vec<u8>, AppError> {
    use crate::platform::pdf::{Block, Report};
    let mut conn = app.db.pool().acquire().await?;
    let h = hold_info(&mut conn, hold_id)
        .await?
        .ok_or_else(|| AppError::NotFound("legal hold".into()))?;
    let srcs = sources(&mut conn, hold_id).await?;
    drop(conn);
    let scope = super::holds::scope_of(app, hold_id).await?;
    let places = custodians_of(app, hold_id).await?;
    let messages = log(app, hold_id).await?;
    let human = crate::platform::time::human;
    let count = |st: &str| places.iter().filter(|p| p.state() == st).count();
    let mut fields = vec![
        (
            "Status".to_string(),
            if h.status == "active" {
                format!("active since {}", human(&h.issued_at))
            } else {
                format!("released {}", h.released_on())
            },
        ),
        (
            "Matter".to_string(),
            h.matter
                .clone()
                .map(|m| format!("{m} {}", h.matter_name.clone().unwrap_or_default()))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Issuing attorney".to_string(),
            format!(
                "{} {}",
                h.attorney_name.clone().unwrap_or_default(),
                h.attorney_email.clone().unwrap_or_default()
            ),
        ),
        (
            "Period".to_string(),
            format!(
                "{} to {}",
                h.date_from.clone().unwrap_or_else(|| "—".into()),
                h.date_to.clone().unwrap_or_else(|| "date".into())
            ),
        ),
        (
            "Custodians".to_string(),
            format!(
                "{} — {} acknowledged, {} outstanding, {} re-affirmation due, {} released",
                places.len(),
                count("acknowledged"),
                count("outstanding"),
                count("reaffirm"),
                count("released")
            ),
        ),
        (
            "Preserves".to_string(),
            scope
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            "Data sources".to_string(),
            if srcs.is_empty() {
                "none named".into()
            } else {
                srcs.iter()
                    .map(|s| format!("{} ({}, {})", s.name, s.kind, s.owner))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ),
        (
            "Schedule".to_string(),
            format!(
                "reminders every {} days; escalation after {} days; re-affirmation {}",
                h.reminder_days,
                h.escalate_days,
                if h.reaffirm_days > 0 {
                    format!("every {} days", h.reaffirm_days)
                } else {
                    "never".into()
                }
            ),
        ),
    ];
    if !h.description.is_empty() {
        fields.insert(0, ("Scope".to_string(), h.description.clone()));
    }
    let rows = places
        .iter()
        .map(|p| {
            vec![
                format!("{}\n{}", p.name, p.email),
                p.state().to_string(),
                p.when("notified"),
                p.reminders.to_string(),
                p.when("escalated"),
                p.when("acknowledged"),
                p.answers()
                    .into_iter()
                    .map(|(q, a)| format!("{q} {a}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]
        })
        .collect();
    let log_rows = messages
        .iter()
        .map(|n| {
            vec![
                n.when("created"),
                n.kind.clone(),
                n.to_addr.clone(),
                if n.sent_at.is_some() {
                    n.when("sent")
                } else {
                    format!("pending ({} attempts)", n.attempts)
                },
            ]
        })
        .collect();
    Ok(Report {
        title: format!("Legal hold report: {}", h.name),
        subtitle: format!(
            "Hold {} — the record of who was notified, reminded, escalated and who acknowledged.",
            h.id
        ),
        footer: format!("Generated {} by lexops", human(&app.clock.now_text())),
        blocks: vec![
            Block::Fields(fields),
            Block::Heading("Custodians".into()),
            Block::Table {
                headers: [
                    "Custodian",
                    "State",
                    "Notified",
                    "Reminders",
                    "Escalated",
                    "Acknowledged",
                    "Answers",
                ]
                .map(String::from)
                .to_vec(),
                widths: vec![2.3, 1.1, 1.5, 1.2, 1.5, 1.5, 2.5],
                rows,
            },
            Block::Heading("Messages".into()),
            Block::Table {
                headers: ["Queued", "Kind", "To", "Sent"].map(String::from).to_vec(),
                widths: vec![1.5, 1.2, 2.5, 1.5],
                rows: log_rows,
            },
        ],
    }
    .render())
}
