//! Legal holds as the record store sees them: what each active hold preserves (records by id,
//! whole categories, whole folders). [`HELD_BY`] and [`HELD`] define "this record is under a
//! hold"; disposition checks [`holds_on`] inside the transaction that would destroy a record,
//! so no path can destroy a held record. A hold's custodians and notices: [`super::notices`].

use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::error::AppError;

/// The active holds whose scope covers the record aliased `r`: an SQL condition on `h`
/// (legal_holds) and `s` (hold_scope), for naming the holds of one record ([`holds_on`]).
pub const HELD_BY: &str = "h.status = 'active' AND ( \
    (s.kind = 'record' AND s.value = CAST(r.id AS TEXT)) \
    OR (s.kind = 'category' AND s.value = CAST(r.category_id AS TEXT)) \
    OR (s.kind = 'matter' AND s.value = CAST(r.matter_id AS TEXT)) \
    OR (s.kind = 'custodian' AND s.value = CAST(r.custodian_id AS TEXT)) \
    OR (s.kind = 'folder' AND (r.folder = s.value OR SUBSTR(r.folder, 1, LENGTH(s.value) + 1) = s.value || '/')))";

/// Whether an active hold covers the record aliased `r`: the same condition as [`HELD_BY`], as
/// one boolean that uses the `(kind, value)` index (a sweep evaluates it for every record due).
/// The property test in `tests/app/records.rs` checks that the two agree.
pub const HELD: &str = "(EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'record' AND s.value = CAST(r.id AS TEXT) AND h.status = 'active') \
    OR EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'category' AND s.value = CAST(r.category_id AS TEXT) AND h.status = 'active') \
    OR (r.matter_id IS NOT NULL AND EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'matter' AND s.value = CAST(r.matter_id AS TEXT) AND h.status = 'active')) \
    OR (r.custodian_id IS NOT NULL AND EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'custodian' AND s.value = CAST(r.custodian_id AS TEXT) AND h.status = 'active')) \
    OR EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'folder' AND h.status = 'active' \
        AND (r.folder = s.value OR SUBSTR(r.folder, 1, LENGTH(s.value) + 1) = s.value || '/')))";

/// The active holds on a record: (id, name).
pub async fn holds_on(
    conn: &mut sqlx::AnyConnection,
    record_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT h.id, h.name FROM legal_holds h JOIN hold_scope s ON s.hold_id = h.id JOIN records r ON r.id = $1 WHERE {HELD_BY} ORDER BY h.id"
    )))
    .bind(record_id)
    .fetch_all(&mut *conn)
    .await
}

/// A hold with what it preserves.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: String,
    pub issued_at: String,
    pub released_at: Option<String>,
    pub scope: Vec<(String, String)>,
    /// Active records it preserves now.
    pub records: i64,
    pub matter: Option<String>,
    pub custodians: i64,
    pub acknowledged: i64,
    /// Custodians (not released) who have never acknowledged.
    pub outstanding: i64,
}

impl HoldView {
    pub fn issued_on(&self) -> String {
        crate::platform::time::human(&self.issued_at)
    }
    pub fn released_on(&self) -> String {
        self.released_at
            .as_deref()
            .map(crate::platform::time::human)
            .unwrap_or_default()
    }
}

/// Whether `user` may see hold `id`: a hold of a walled matter is absent (404) to those off the
/// matter's wall, like the matter itself. Every read and change of one hold goes through it.
pub async fn check_visible(app: &App, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let matter: Option<Option<i64>> =
        sqlx::query_scalar("SELECT matter_id FROM legal_holds WHERE id = $1")
            .bind(id)
            .fetch_optional(app.db.pool())
            .await?;
    match matter {
        None => Err(AppError::NotFound("legal hold".into())),
        Some(Some(m)) if !crate::platform::access::can_see(&app.db, user, "matter", m).await? => {
            Err(AppError::NotFound("legal hold".into()))
        }
        Some(_) => Ok(()),
    }
}

/// Every hold `viewer` may see (`None`: the operator at the command line), active first.
pub async fn list(app: &App, viewer: Option<&CurrentUser>) -> Result<Vec<HoldView>, AppError> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
        i64,
    );
    let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT h.id, h.name, h.description, h.status, h.issued_at, h.released_at, m.number, \
         (SELECT COUNT(*) FROM hold_custodians hc WHERE hc.hold_id = h.id), \
         (SELECT COUNT(*) FROM hold_custodians hc WHERE hc.hold_id = h.id AND hc.acknowledged_at IS NOT NULL), \
         (SELECT COUNT(*) FROM hold_custodians hc WHERE hc.hold_id = h.id AND hc.acknowledged_at IS NULL AND hc.released_at IS NULL) \
         FROM legal_holds h LEFT JOIN matters m ON m.id = h.matter_id WHERE 1 = 1{} ORDER BY h.status, h.id DESC",
        crate::platform::access::visible_sql_for(viewer, "matter", "h.matter_id", 1)
    )));
    let rows: Vec<Row> = match viewer {
        Some(u) => rows.bind(u.id),
        None => rows,
    }
    .fetch_all(app.db.pool())
    .await?;
    let mut out = vec![];
    for (
        id,
        name,
        description,
        status,
        issued_at,
        released_at,
        matter,
        custodians,
        acknowledged,
        outstanding,
    ) in rows
    {
        let records = records_preserved(app, id).await?;
        out.push(HoldView {
            id,
            name,
            description,
            status,
            issued_at,
            released_at,
            scope: scope_of(app, id).await?,
            records,
            matter,
            custodians,
            acknowledged,
            outstanding,
        });
    }
    Ok(out)
}

/// What a hold preserves, readable: (kind, category code / folder / record number / matter
/// number / custodian email).
pub async fn scope_of(app: &App, id: i64) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT s.kind, CASE \
           WHEN s.kind = 'category' THEN COALESCE((SELECT c.code FROM record_categories c WHERE CAST(c.id AS TEXT) = s.value), s.value) \
           WHEN s.kind = 'matter' THEN COALESCE((SELECT m.number FROM matters m WHERE CAST(m.id AS TEXT) = s.value), s.value) \
           WHEN s.kind = 'custodian' THEN COALESCE((SELECT c.email FROM custodians c WHERE CAST(c.id AS TEXT) = s.value), s.value) \
           ELSE s.value END \
         FROM hold_scope s WHERE s.hold_id = $1 ORDER BY 1, 2",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Active records a hold preserves now.
pub async fn records_preserved(app: &App, id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM records r WHERE r.status = 'active' AND EXISTS (SELECT 1 FROM legal_holds h JOIN hold_scope s ON s.hold_id = h.id WHERE h.id = $1 AND {HELD_BY})"
    )))
    .bind(id)
    .fetch_one(app.db.pool())
    .await?)
}

/// A new hold as typed in the form (lists one per line or separated by commas): what it
/// preserves (categories by code, folders, record numbers, custodians by email, and with
/// `preserve_matter` every record of its matter), its matter, period, issuing attorney, data
/// sources (`name | kind | owner` per line), questionnaire (one question per line), notice
/// template and notice schedule (days; empty for the defaults).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct HoldInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: String,
    #[serde(default)]
    pub folders: String,
    #[serde(default)]
    pub records: String,
    #[serde(default)]
    pub custodians: String,
    #[serde(default)]
    pub matter: String,
    #[serde(default)]
    pub preserve_matter: Option<String>,
    #[serde(default)]
    pub attorney: String,
    #[serde(default)]
    pub date_from: String,
    #[serde(default)]
    pub date_to: String,
    #[serde(default)]
    pub sources: String,
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub notice_subject: String,
    #[serde(default)]
    pub notice_template: String,
    #[serde(default)]
    pub reminder_days: String,
    #[serde(default)]
    pub escalate_days: String,
    #[serde(default)]
    pub reaffirm_days: String,
    #[serde(default)]
    pub link_days: String,
}

impl HoldInput {
    /// The form of a new hold: the default notice and schedule filled in.
    pub fn blank() -> HoldInput {
        HoldInput {
            notice_subject: super::notices::DEFAULT_SUBJECT.into(),
            notice_template: super::notices::DEFAULT_TEMPLATE.into(),
            reminder_days: "7".into(),
            escalate_days: "14".into(),
            reaffirm_days: "90".into(),
            link_days: "30".into(),
            preserve_matter: Some("on".into()),
            ..Default::default()
        }
    }
}

fn items(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(|x| x.trim().trim_matches('/').to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn days(
    errs: &mut Vec<(&'static str, String)>,
    field: &'static str,
    s: &str,
    default: i64,
    min: i64,
) -> i64 {
    if s.trim().is_empty() {
        return default;
    }
    match s.trim().parse::<i64>() {
        Ok(n) if (min..=3650).contains(&n) => n,
        _ => {
            errs.push((field, format!("Give a number of days from {min} to 3650.")));
            default
        }
    }
}

/// Places a hold and sends its notice to its custodians (through the outbox, in the same
/// transaction); returns its id.
pub async fn create(app: &App, user: &CurrentUser, input: &HoldInput) -> Result<i64, AppError> {
    let mut errs: Vec<(&'static str, String)> = vec![];
    if input.name.trim().is_empty() {
        errs.push(("name", "Name the hold.".to_string()));
    }
    let mut scope: Vec<(&str, String)> = vec![];
    for code in items(&input.categories) {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM record_categories WHERE LOWER(code) = LOWER($1)")
                .bind(&code)
                .fetch_optional(app.db.pool())
                .await?;
        match known {
            Some(c) => scope.push(("category", c.to_string())),
            None => errs.push(("categories", format!("There is no category {code}."))),
        }
    }
    for folder in items(&input.folders) {
        scope.push(("folder", folder));
    }
    for id in items(&input.records) {
        match id.parse::<i64>() {
            Ok(n) => {
                let known: Option<i64> = sqlx::query_scalar("SELECT id FROM records WHERE id = $1")
                    .bind(n)
                    .fetch_optional(app.db.pool())
                    .await?;
                match known {
                    Some(_) => scope.push(("record", n.to_string())),
                    None => errs.push(("records", format!("There is no record {n}."))),
                }
            }
            Err(_) => errs.push(("records", format!("{id} is not a record number."))),
        }
    }
    let mut matter_id = None;
    if input.matter.trim().is_empty() {
        errs.push((
            "matter",
            "A legal hold belongs to a matter: give the matter's number.".into(),
        ));
    } else {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM matters WHERE number = $1")
            .bind(input.matter.trim())
            .fetch_optional(app.db.pool())
            .await?;
        match id {
            Some(id) if crate::matters::store::get(app, user, id).await.is_ok() => {
                matter_id = Some(id);
                if input.preserve_matter.is_some() {
                    scope.push(("matter", id.to_string()));
                }
            }
            _ => errs.push((
                "matter",
                format!("There is no matter {}.", input.matter.trim()),
            )),
        }
    }
    let mut attorney_id = user.id;
    if !input.attorney.trim().is_empty() {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE LOWER(email) = LOWER($1) AND status = 'active' AND role IN ('admin','attorney','legal_ops')",
        )
        .bind(input.attorney.trim())
        .fetch_optional(app.db.pool())
        .await?;
        match id {
            Some(id) => attorney_id = id,
            None => errs.push(("attorney", format!("{} is not an active attorney, legal operations user or administrator of lexops.", input.attorney.trim()))),
        }
    }
    let date =
        |field: &'static str, s: &str, errs: &mut Vec<(&'static str, String)>| -> Option<String> {
            if s.trim().is_empty() {
                return None;
            }
            match s.trim().parse::<jiff::civil::Date>() {
                Ok(d) => Some(d.to_string()),
                Err(_) => {
                    errs.push((field, format!("{:?} is not a date (YYYY-MM-DD).", s.trim())));
                    None
                }
            }
        };
    let date_from = date("date_from", &input.date_from, &mut errs);
    let date_to = date("date_to", &input.date_to, &mut errs);
    if let (Some(a), Some(b)) = (&date_from, &date_to)
        && b < a
    {
        errs.push(("date_to", "The period ends before it starts.".into()));
    }
    let mut sources = vec![];
    for (n, line) in input.sources.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split('|').map(str::trim);
        let name = parts.next().unwrap_or("").to_string();
        let kind = parts.next().unwrap_or("").to_string();
        let owner = parts.next().unwrap_or("").to_string();
        if name.is_empty() || parts.next().is_some() {
            errs.push((
                "sources",
                format!("Line {}: write name | kind | owner.", n + 1),
            ));
        } else {
            sources.push(super::notices::Source { name, kind, owner });
        }
    }
    let custodians = items(&input.custodians);
    if scope.is_empty() && custodians.is_empty() && errs.is_empty() {
        errs.push((
            "categories",
            "Say what the hold preserves: custodians, the matter's records, categories, folders or records.".into(),
        ));
    }
    let reminder_days = days(&mut errs, "reminder_days", &input.reminder_days, 7, 0);
    let escalate_days = days(&mut errs, "escalate_days", &input.escalate_days, 14, 0);
    let reaffirm_days = days(&mut errs, "reaffirm_days", &input.reaffirm_days, 0, 0);
    let link_days = days(&mut errs, "link_days", &input.link_days, 30, 1);
    let subject = if input.notice_subject.trim().is_empty() {
        super::notices::DEFAULT_SUBJECT.to_string()
    } else {
        input.notice_subject.trim().to_string()
    };
    let template = if input.notice_template.trim().is_empty() {
        super::notices::DEFAULT_TEMPLATE.to_string()
    } else {
        input.notice_template.replace("\r\n", "\n")
    };
    // The notice is rendered once for a sample custodian: a mistake is refused here, not sent.
    let sample = super::notices::sample_context(&json!({
        "name": input.name.trim(), "description": input.description.trim(), "matter": input.matter.trim(),
        "matter_name": "", "date_from": date_from.clone().unwrap_or_default(), "date_to": date_to.clone().unwrap_or_default(),
        "issued_on": "", "sources": sources, "questions": super::notices::questions(&input.questionnaire),
    }));
    if let Err(e) = super::notices::render(&subject, &sample) {
        errs.push((
            "notice_subject",
            format!("The subject cannot be written: {e}."),
        ));
    }
    if let Err(e) = super::notices::render(&template, &sample) {
        errs.push((
            "notice_template",
            format!("The notice cannot be written: {e}."),
        ));
    } else if !template.contains("link") {
        errs.push((
            "notice_template",
            "The notice must give the custodian their acknowledgement link: {{ link }}.".into(),
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(
            errs.into_iter()
                .map(|(f, m)| crate::platform::error::FieldError::new(f, m))
                .collect(),
        ));
    }
    scope.sort();
    scope.dedup();
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO legal_holds (name, description, issued_by, issued_at, matter_id, attorney_id, date_from, date_to, notice_subject, notice_template, \
         questionnaire, reminder_days, escalate_days, reaffirm_days, link_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(input.name.trim())
    .bind(input.description.trim())
    .bind(user.id)
    .bind(&now)
    .bind(matter_id)
    .bind(attorney_id)
    .bind(&date_from)
    .bind(&date_to)
    .bind(&subject)
    .bind(&template)
    .bind(input.questionnaire.trim())
    .bind(reminder_days)
    .bind(escalate_days)
    .bind(reaffirm_days)
    .bind(link_days)
    .fetch_one(&mut *tx)
    .await?;
    for (kind, value) in &scope {
        sqlx::query("INSERT INTO hold_scope (hold_id, kind, value) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(*kind)
            .bind(value)
            .execute(&mut *tx)
            .await?;
    }
    for s in &sources {
        sqlx::query(
            "INSERT INTO hold_sources (hold_id, name, kind, owner) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&s.name)
        .bind(&s.kind)
        .bind(&s.owner)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "hold.create",
            object_type: "legal_hold",
            object_id: id.to_string(),
            before: None,
            after: Some(
                json!({"name": input.name.trim(), "scope": scope, "matter": input.matter.trim(),
                "sources": sources, "custodians": custodians.len()}),
            ),
        },
    )
    .await?;
    super::notices::add_custodians(app, &mut tx, &user.actor(), id, &custodians).await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(id)
}

/// Adds custodians to a hold and sends them its notice; returns how many were new.
pub async fn add_custodians(
    app: &App,
    user: &CurrentUser,
    id: i64,
    emails: &str,
) -> Result<usize, AppError> {
    check_visible(app, user, id).await?;
    let list = items(emails);
    if list.is_empty() {
        return Err(AppError::field(
            "custodians",
            "Give one or more custodian emails.",
        ));
    }
    let mut tx = app.db.begin().await?;
    let n = super::notices::add_custodians(app, &mut tx, &user.actor(), id, &list).await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(n)
}

/// Sends a reminder now to every custodian of an active hold who has not acknowledged (or
/// re-affirmed); returns how many.
pub async fn remind_now(app: &App, user: &CurrentUser, id: i64) -> Result<usize, AppError> {
    check_visible(app, user, id).await?;
    let places: Vec<_> = super::notices::custodians_of(app, id)
        .await?
        .into_iter()
        .filter(|p| matches!(p.state(), "outstanding" | "reaffirm") && p.notified_at.is_some())
        .collect();
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM legal_holds WHERE id = $1")
        .bind(id)
        .fetch_optional(app.db.pool())
        .await?;
    match status.as_deref() {
        None => return Err(AppError::NotFound("legal hold".into())),
        Some("active") => {}
        Some(_) => {
            return Err(AppError::Conflict(
                "this hold is released: there is nothing to remind".into(),
            ));
        }
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = super::notices::send(app, &mut tx, id, super::notices::Kind::Reminder, &places).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "hold.remind",
            object_type: "legal_hold",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"reminders": n})),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(n)
}

/// Releases a hold: its records return to their schedule (unless another hold covers them).
pub async fn release(app: &App, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    check_visible(app, user, id).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = sqlx::query(
        "UPDATE legal_holds SET status = 'released', released_by = $1, released_at = $2 WHERE id = $3 AND status = 'active'",
    )
    .bind(user.id)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(
            "this hold is not active (released already, or unknown)".into(),
        ));
    }
    let notices = super::notices::send_release(app, &mut tx, id).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "hold.release",
            object_type: "legal_hold",
            object_id: id.to_string(),
            before: Some(json!({"status": "active"})),
            after: Some(json!({"status": "released", "release_notices": notices})),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}
