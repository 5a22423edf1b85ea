//! Records: documents kept under the file plan. A record's bytes are in the document store; its
//! category's retention rule, its creation date and its trigger events give the first day it
//! may be disposed of, recomputed (in the same transaction) whenever one of those changes.

use serde::Serialize;
use serde_json::json;

use super::plan::CategoryRow;
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::AppError;

/// A record with its category.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RecordRow {
    pub id: i64,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The folder it came from (bulk import), `a/b/c`.
    pub folder: String,
    pub category_id: Option<i64>,
    pub category_code: Option<String>,
    pub category_title: Option<String>,
    /// YYYY-MM-DD.
    pub created_on: String,
    pub uploaded_at: String,
    /// unclassified, awaiting_event, scheduled or permanent.
    pub due_state: String,
    /// The first day it may be disposed of (when scheduled), YYYY-MM-DD.
    pub due_on: Option<String>,
    /// The event it waits for (when awaiting_event).
    pub awaiting_event: String,
    /// active or destroyed.
    pub status: String,
    /// The current version (1 for a record never replaced).
    pub version: i64,
    /// The matter it belongs to, if any (a hold on the matter preserves it; the matter's
    /// ethical wall hides it).
    pub matter_id: Option<i64>,
    /// Its text for search: pending, indexed, none (a kind with no text) or failed.
    pub text_state: String,
    /// Why its text could not be read, or that only part of it is searchable.
    pub text_note: String,
    /// Search results only: the words around the matches in its text (the page marks them; the
    /// API puts them between `[` and `]`).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl RecordRow {
    /// When its current version was added, short for pages.
    pub fn uploaded_on(&self) -> String {
        crate::platform::time::human(&self.uploaded_at)
    }
    /// The search snippet as HTML (text escaped, matches in `<mark>`).
    pub fn snippet_html(&self) -> Option<String> {
        self.snippet
            .as_deref()
            .map(crate::platform::search::snippet_html)
    }
    /// Its text for search, in words.
    pub fn text_text(&self) -> String {
        match self.text_state.as_str() {
            "indexed" if self.text_note.is_empty() => "searchable".into(),
            "indexed" => format!("searchable ({})", self.text_note),
            "pending" => "being read".into(),
            "failed" => format!("could not be read: {}", self.text_note),
            _ => "no text in this kind of file".into(),
        }
    }
    /// Where its retention stands, in words.
    pub fn due_text(&self) -> String {
        match self.due_state.as_str() {
            "scheduled" => format!("from {}", self.due_on.clone().unwrap_or_default()),
            "awaiting_event" => format!("waits for {}", self.awaiting_event.replace('_', " ")),
            "permanent" => "kept permanently".into(),
            _ => "not classified".into(),
        }
    }
}

const SELECT: &str = "SELECT r.id, r.title, r.filename, r.content_type, r.size, r.sha256, r.folder, r.category_id, c.code AS category_code, \
     c.title AS category_title, r.created_on, r.uploaded_at, r.due_state, r.due_on, r.awaiting_event, r.status, r.version, \
     r.matter_id, r.text_state, r.text_note \
     FROM records r LEFT JOIN record_categories c ON c.id = r.category_id";

/// The first month of the department's fiscal year (setting `fiscal_year_start_month`, 1–12;
/// January when unset).
pub async fn fiscal_year_start(conn: &mut sqlx::AnyConnection) -> Result<i8, sqlx::Error> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'fiscal_year_start_month'")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(v.and_then(|v| v.parse::<i8>().ok())
        .filter(|m| (1..=12).contains(m))
        .unwrap_or(1))
}

/// What a rule gives for a record: (due_state, due_on, awaiting_event).
pub fn schedule(
    category: Option<&retention::Category>,
    created_on: &str,
    events: &[(String, String)],
    fiscal_year_start: i8,
) -> (String, Option<String>, String) {
    let Some(c) = category else {
        return ("unclassified".into(), None, String::new());
    };
    let Ok(created) = created_on.parse::<jiff::civil::Date>() else {
        return ("unclassified".into(), None, String::new());
    };
    let event = |name: &str| {
        events
            .iter()
            .find(|(e, _)| e == name)
            .and_then(|(_, d)| d.parse::<jiff::civil::Date>().ok())
    };
    match c.rule.due(created, event, fiscal_year_start) {
        retention::Due::On(d) => ("scheduled".into(), Some(d.to_string()), String::new()),
        retention::Due::AwaitingEvent(e) => ("awaiting_event".into(), None, e),
        retention::Due::Never => ("permanent".into(), None, String::new()),
    }
}

/// Recomputes the retention of the records `ids` (or every record of `category`), returning
/// the records whose date moved: (id, before, after).
async fn recompute(
    tx: &mut Tx,
    ids: Option<&[i64]>,
    category: Option<i64>,
) -> Result<Vec<(i64, String, String)>, AppError> {
    let fy = fiscal_year_start(tx).await?;
    let filter = match (ids, category) {
        (Some(ids), _) if !ids.is_empty() => format!(
            "r.id IN ({})",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
        (_, Some(c)) => format!("r.category_id = {c}"),
        _ => return Ok(vec![]),
    };
    let rows: Vec<RecordRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE {filter}")))
            .fetch_all(&mut **tx)
            .await?;
    let mut moved = vec![];
    for r in rows {
        let category = match r.category_id {
            Some(c) => Some(
                sqlx::query_as::<_, CategoryRow>("SELECT id, code, title, description, owner, trigger_event, period, cutoff, disposition, citation, updated_at FROM record_categories WHERE id = $1")
                    .bind(c)
                    .fetch_one(&mut **tx)
                    .await?
                    .category()?,
            ),
            None => None,
        };
        let events: Vec<(String, String)> =
            sqlx::query_as("SELECT event, occurred_on FROM record_events WHERE record_id = $1")
                .bind(r.id)
                .fetch_all(&mut **tx)
                .await?;
        let (state, due, waiting) = schedule(category.as_ref(), &r.created_on, &events, fy);
        // A record under a hold keeps at least the retention it had.
        let shortened = (r.due_state == "scheduled"
            && state == "scheduled"
            && due.as_deref() < r.due_on.as_deref())
            || (r.due_state == "permanent" && state != "permanent");
        if shortened
            && r.status == "active"
            && let Some((hold, name)) = super::holds::holds_on(tx, r.id).await?.first()
        {
            return Err(AppError::Conflict(format!(
                "record {} ({}) is under legal hold {hold} ({name}): its retention cannot be shortened ({} → {}); nothing was changed",
                r.id,
                r.title,
                r.due_text(),
                RecordRow {
                    due_state: state.clone(),
                    due_on: due.clone(),
                    awaiting_event: waiting.clone(),
                    ..r.clone()
                }
                .due_text()
            )));
        }
        if state != r.due_state || due != r.due_on || waiting != r.awaiting_event {
            sqlx::query(
                "UPDATE records SET due_state = $1, due_on = $2, awaiting_event = $3 WHERE id = $4",
            )
            .bind(&state)
            .bind(&due)
            .bind(&waiting)
            .bind(r.id)
            .execute(&mut **tx)
            .await?;
            let before = r.due_text();
            let after = RecordRow {
                due_state: state,
                due_on: due,
                awaiting_event: waiting,
                ..r.clone()
            }
            .due_text();
            moved.push((r.id, before, after));
        }
    }
    Ok(moved)
}

/// Recomputes the records of a category after its rule changed (inside the change's
/// transaction); returns how many moved.
pub async fn recompute_category(tx: &mut Tx, category_id: i64) -> Result<usize, AppError> {
    Ok(recompute(tx, None, Some(category_id)).await?.len())
}

/// The records of a category whose retention would change if its rule became `rule`, with
/// their dates before and after (nothing is changed).
pub async fn preview_rule_change(
    app: &App,
    category_id: i64,
    category: &retention::Category,
) -> Result<Vec<(RecordRow, String)>, AppError> {
    let mut conn = app.db.pool().acquire().await?;
    let fy = fiscal_year_start(&mut conn).await?;
    let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.category_id = $1 AND r.status = 'active' ORDER BY r.id"
    )))
    .bind(category_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = vec![];
    for r in rows {
        let events: Vec<(String, String)> =
            sqlx::query_as("SELECT event, occurred_on FROM record_events WHERE record_id = $1")
                .bind(r.id)
                .fetch_all(&mut *conn)
                .await?;
        let (state, due, waiting) = schedule(Some(category), &r.created_on, &events, fy);
        let after = RecordRow {
            due_state: state,
            due_on: due,
            awaiting_event: waiting,
            ..r.clone()
        };
        if after.due_text() != r.due_text() {
            let text = after.due_text();
            out.push((r, text));
        }
    }
    Ok(out)
}

/// Whose a record is: a custodian (by email) and a matter (by number); either may be empty. A
/// hold on the custodian or on the matter preserves the record.
#[derive(Clone, Debug, Default)]
pub struct Owners {
    pub custodian: String,
    pub matter: String,
}

/// A document to keep as a record.
#[derive(Default)]
pub struct NewRecord {
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub folder: String,
    /// The category's code, if classified at once.
    pub category_code: String,
    /// When the record was created (YYYY-MM-DD); today when empty.
    pub created_on: String,
    pub owners: Owners,
}

/// The custodian and matter ids of [`Owners`], refused with a field error when unknown (a
/// matter behind an ethical wall the user is not on is unknown to them).
async fn resolve_owners(
    app: &App,
    user: &CurrentUser,
    owners: &Owners,
) -> Result<(Option<i64>, Option<i64>), AppError> {
    let mut custodian = None;
    let mut errs = vec![];
    if !owners.custodian.trim().is_empty() {
        custodian = sqlx::query_scalar("SELECT id FROM custodians WHERE LOWER(email) = LOWER($1)")
            .bind(owners.custodian.trim())
            .fetch_optional(app.db.pool())
            .await?;
        if custodian.is_none() {
            errs.push(crate::platform::error::FieldError::new(
                "custodian",
                format!(
                    "There is no custodian {} in the directory.",
                    owners.custodian.trim()
                ),
            ));
        }
    }
    let mut matter = None;
    if !owners.matter.trim().is_empty() {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM matters WHERE number = $1")
            .bind(owners.matter.trim())
            .fetch_optional(app.db.pool())
            .await?;
        match id {
            Some(id) if crate::matters::store::get(app, user, id).await.is_ok() => {
                matter = Some(id)
            }
            _ => errs.push(crate::platform::error::FieldError::new(
                "matter",
                format!("There is no matter {}.", owners.matter.trim()),
            )),
        }
    }
    if errs.is_empty() {
        Ok((custodian, matter))
    } else {
        Err(AppError::Validation(errs))
    }
}

async fn category_by_code(app: &App, code: &str) -> Result<Option<i64>, AppError> {
    if code.trim().is_empty() {
        return Ok(None);
    }
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM record_categories WHERE LOWER(code) = LOWER($1)")
            .bind(code.trim())
            .fetch_optional(app.db.pool())
            .await?;
    id.map(Some).ok_or_else(|| {
        AppError::field(
            "category",
            format!("There is no category {} in the file plan.", code.trim()),
        )
    })
}

fn parse_day(field: &str, s: &str, today: &str) -> Result<String, AppError> {
    if s.trim().is_empty() {
        return Ok(today.to_string());
    }
    s.trim()
        .parse::<jiff::civil::Date>()
        .map(|d| d.to_string())
        .map_err(|_| AppError::field(field, format!("{s:?} is not a date (YYYY-MM-DD).")))
}

/// Keeps a document as a record: stores its bytes, classifies it, schedules it.
pub async fn add(app: &App, user: &CurrentUser, new: NewRecord) -> Result<i64, AppError> {
    Ok(add_many(app, user, vec![new]).await?[0])
}

/// Keeps documents as records in one transaction (all or none): each checked as [`add`] does,
/// the bytes sealed first, then the blob rows, records, schedules and audit events written
/// together. Returns their ids in order.
pub async fn add_many(
    app: &App,
    user: &CurrentUser,
    batch: Vec<NewRecord>,
) -> Result<Vec<i64>, AppError> {
    let today = app.clock.today();
    struct Checked {
        new: NewRecord,
        title: String,
        created_on: String,
        category_id: Option<i64>,
        custodian_id: Option<i64>,
        matter_id: Option<i64>,
        sha: String,
    }
    let mut categories: std::collections::HashMap<String, Option<i64>> = Default::default();
    let mut owners: Vec<(Owners, (Option<i64>, Option<i64>))> = vec![];
    let mut checked = Vec::with_capacity(batch.len());
    let mut sealed = vec![];
    for new in batch {
        if new.bytes.is_empty() {
            return Err(AppError::field(
                "file",
                format!("{} is empty.", new.filename),
            ));
        }
        let created_on = parse_day("created_on", &new.created_on, &today)?;
        if created_on > today {
            return Err(AppError::field(
                "created_on",
                "A record cannot be created in the future.",
            ));
        }
        let code = new.category_code.trim().to_lowercase();
        let category_id = match categories.get(&code) {
            Some(id) => *id,
            None => {
                let id = category_by_code(app, &new.category_code).await?;
                categories.insert(code, id);
                id
            }
        };
        let (custodian_id, matter_id) = match owners
            .iter()
            .find(|(o, _)| o.custodian == new.owners.custodian && o.matter == new.owners.matter)
        {
            Some((_, ids)) => *ids,
            None => {
                let ids = resolve_owners(app, user, &new.owners).await?;
                owners.push((new.owners.clone(), ids));
                ids
            }
        };
        let title = if new.title.trim().is_empty() {
            new.filename.clone()
        } else {
            new.title.trim().to_string()
        };
        let sha = blobstore::BlobStore::digest(&new.bytes);
        if !sealed
            .iter()
            .any(|s: &blobstore::SealedBlob| s.sha256 == sha)
            && let Some(s) = crate::platform::blobs::seal(app, &new.bytes).await?
        {
            sealed.push(s);
        }
        checked.push(Checked {
            new,
            title,
            created_on,
            category_id,
            custodian_id,
            matter_id,
            sha,
        });
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    for s in &sealed {
        crate::platform::blobs::insert_row(&mut tx, s, &now).await?;
    }
    let mut ids = Vec::with_capacity(checked.len());
    for c in &checked {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO records (title, filename, content_type, size, sha256, folder, category_id, created_on, uploaded_at, uploaded_by, custodian_id, matter_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&c.title)
        .bind(&c.new.filename)
        .bind(&c.new.content_type)
        .bind(c.new.bytes.len() as i64)
        .bind(&c.sha)
        .bind(&c.new.folder)
        .bind(c.category_id)
        .bind(&c.created_on)
        .bind(&now)
        .bind(user.id)
        .bind(c.custodian_id)
        .bind(c.matter_id)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: "record.create",
                object_type: "record",
                object_id: id.to_string(),
                before: None,
                after: Some(json!({"title": c.title, "filename": c.new.filename, "sha256": c.sha, "size": c.new.bytes.len(),
                    "folder": c.new.folder, "category": c.new.category_code.trim(), "created_on": c.created_on,
                    "custodian": c.new.owners.custodian.trim(), "matter": c.new.owners.matter.trim()})),
            },
        )
        .await?;
        super::text::add(
            &mut tx,
            id,
            &super::text::meta(&c.title, &c.new.filename, &c.new.folder),
        )
        .await?;
        ids.push(id);
    }
    recompute(&mut tx, Some(&ids), None).await?;
    super::text::queue(&mut tx, &now).await?;
    tx.commit().await?;
    Ok(ids)
}

/// One record, as `viewer` may see it: a record of a walled matter is absent to those not on
/// the wall.
pub async fn get(app: &App, viewer: &CurrentUser, id: i64) -> Result<RecordRow, AppError> {
    sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.id = $1 AND {}",
        crate::platform::access::visible_sql("matter", "r.matter_id", 2)
    )))
    .bind(id)
    .bind(viewer.id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("record".into()))
}

/// A record's trigger events, by date.
pub async fn events(app: &App, id: i64) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT event, occurred_on FROM record_events WHERE record_id = $1 ORDER BY occurred_on, event",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Puts a record in a category (or none), rescheduling it.
pub async fn classify(
    app: &App,
    user: &CurrentUser,
    id: i64,
    category_code: &str,
) -> Result<(), AppError> {
    classify_many(app, user, &[id], category_code).await
}

/// Puts records in a category (or none) in one transaction, all or none: an unknown (or walled)
/// record, or a held record whose retention would become shorter, changes nothing and is named.
pub async fn classify_many(
    app: &App,
    user: &CurrentUser,
    ids: &[i64],
    category_code: &str,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Err(AppError::field("records", "Choose one or more records."));
    }
    let mut before = Vec::with_capacity(ids.len());
    for &id in ids {
        let r = get(app, user, id).await?;
        if r.status != "active" {
            return Err(AppError::Conflict(format!(
                "record {id} is {}: it cannot be classified",
                r.status
            )));
        }
        before.push(r);
    }
    let category_id = category_by_code(app, category_code).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    for r in &before {
        sqlx::query("UPDATE records SET category_id = $1 WHERE id = $2")
            .bind(category_id)
            .bind(r.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: "record.classify",
                object_type: "record",
                object_id: r.id.to_string(),
                before: Some(json!({"category": r.category_code})),
                after: Some(json!({"category": category_code.trim()})),
            },
        )
        .await?;
    }
    recompute(&mut tx, Some(ids), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that an event happened to a record (a contract expired on …), rescheduling it.
pub async fn record_event(
    app: &App,
    user: &CurrentUser,
    id: i64,
    event: &str,
    occurred_on: &str,
) -> Result<(), AppError> {
    get(app, user, id).await?;
    let name = match retention::Trigger::parse(event) {
        Ok(retention::Trigger::Event(e)) => e,
        Ok(retention::Trigger::Created) => {
            return Err(AppError::field(
                "event",
                "The creation date is the record's own; name another event.",
            ));
        }
        Err(e) => return Err(AppError::field("event", e)),
    };
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    if occurred_on.trim().is_empty() {
        return Err(AppError::field("occurred_on", "Give the date it happened."));
    }
    let day = parse_day("occurred_on", occurred_on, &today)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let previous: Option<String> = sqlx::query_scalar(
        "SELECT occurred_on FROM record_events WHERE record_id = $1 AND event = $2",
    )
    .bind(id)
    .bind(&name)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO record_events (record_id, event, occurred_on, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (record_id, event) DO UPDATE SET occurred_on = excluded.occurred_on, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
    )
    .bind(id)
    .bind(&name)
    .bind(&day)
    .bind(&now)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    recompute(&mut tx, Some(&[id]), None).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "record.event",
            object_type: "record",
            object_id: id.to_string(),
            before: previous.map(|d| json!({"event": name, "occurred_on": d})),
            after: Some(json!({"event": name, "occurred_on": day})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The filters of the records list.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub q: String,
    /// A category code.
    pub category: String,
    /// past_due, unclassified, awaiting_event, scheduled or permanent.
    pub state: String,
}

/// Sort keys of the records list.
pub const SORTS: &[(&str, &str)] = &[
    ("title", "r.title"),
    ("category", "c.code"),
    ("created", "r.created_on"),
    ("due", "r.due_on"),
    ("uploaded", "r.uploaded_at"),
];

/// A page of the active records matching `f`, with the total, as `viewer` may see them (records
/// of a walled matter only for those on its wall; `None`: the operator at the command line). A
/// search (`f.q`) looks for words in titles, file names, folders and the documents' text through
/// the full-text index (`text`), and each row of the page that matched on its text gets its
/// [`RecordRow::snippet`].
pub async fn list(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &RecordFilter,
    today: &str,
    order: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RecordRow>, i64), AppError> {
    let q = f.q.trim();
    let mut w = String::from(
        "r.status = 'active' AND ($1 = '' OR LOWER(c.code) = LOWER($1)) \
         AND ($2 = '' OR ($2 = 'past_due' AND r.due_state = 'scheduled' AND r.due_on <= $3) OR r.due_state = $2)",
    );
    let mut next = 4;
    let text = if q.is_empty() {
        None
    } else {
        match crate::platform::search::matches(app.db.backend(), "record_text", "r.id", q, next) {
            Some(m) => Some(m),
            // Only punctuation: there is no word to find.
            None => return Ok((vec![], 0)),
        }
    };
    if let Some((cond, _)) = &text {
        w.push_str(" AND ");
        w.push_str(cond);
        next += 1;
    }
    w.push_str(&crate::platform::access::visible_sql_for(
        viewer,
        "matter",
        "r.matter_id",
        next,
    ));
    if viewer.is_some() {
        next += 1;
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM records r LEFT JOIN record_categories c ON c.id = r.category_id WHERE {w}"
    );
    let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql))
        .bind(f.category.trim())
        .bind(f.state.trim())
        .bind(today);
    let rows_sql = format!(
        "{SELECT} WHERE {w} ORDER BY {order}, r.id LIMIT ${next} OFFSET ${}",
        next + 1
    );
    let mut page = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(rows_sql))
        .bind(f.category.trim())
        .bind(f.state.trim())
        .bind(today);
    if let Some((_, value)) = &text {
        count = count.bind(value.clone());
        page = page.bind(value.clone());
    }
    if let Some(u) = viewer {
        count = count.bind(u.id);
        page = page.bind(u.id);
    }
    let total = count.fetch_one(app.db.pool()).await?;
    let mut rows = page
        .bind(limit)
        .bind(offset)
        .fetch_all(app.db.pool())
        .await?;
    if text.is_some() {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut snips = crate::platform::search::snippets(app, "record_text", q, &ids).await?;
        for r in &mut rows {
            r.snippet = snips.remove(&r.id);
        }
    }
    Ok((rows, total))
}

/// A superseded version of a record's document.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VersionRow {
    pub version: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: String,
    /// Why the next version replaced it.
    pub note: String,
}

impl VersionRow {
    pub fn added_on(&self) -> String {
        crate::platform::time::human(&self.added_at)
    }
}

/// The versions a record's current document superseded, newest first.
pub async fn versions(app: &App, id: i64) -> Result<Vec<VersionRow>, AppError> {
    Ok(sqlx::query_as::<_, VersionRow>(
        "SELECT version, filename, content_type, size, sha256, added_at, note FROM record_versions WHERE record_id = $1 ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Replaces a record's document with a new version: the current one is kept as a superseded
/// version (its bytes stay until the record is destroyed); category, events and retention are
/// the record's and do not change. Returns the new version number.
pub async fn add_version(
    app: &App,
    user: &CurrentUser,
    id: i64,
    filename: &str,
    bytes: Vec<u8>,
    note: &str,
) -> Result<i64, AppError> {
    let r = get(app, user, id).await?;
    if r.status != "active" {
        return Err(AppError::Conflict(format!(
            "record {id} is {}: it takes no new version",
            r.status
        )));
    }
    let filename = filename.trim();
    if filename.is_empty() {
        return Err(AppError::field("file", "Name the file."));
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", format!("{filename} is empty.")));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::field(
            "note",
            "Keep the note under 2,000 characters.",
        ));
    }
    let sha = crate::platform::blobs::put(app, &bytes).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    // The current version moves to the history, unless a concurrent change got there first.
    let moved = sqlx::query(
        "INSERT INTO record_versions (record_id, version, filename, content_type, size, sha256, added_at, added_by, note) \
         SELECT id, version, filename, content_type, size, sha256, uploaded_at, uploaded_by, $1 FROM records WHERE id = $2 AND version = $3 AND status = 'active'",
    )
    .bind(note.trim())
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(AppError::Conflict(format!(
            "record {id} changed meanwhile: reload it and try again"
        )));
    }
    let version = r.version + 1;
    sqlx::query(
        "UPDATE records SET filename = $1, content_type = $2, size = $3, sha256 = $4, uploaded_at = $5, uploaded_by = $6, version = $7 WHERE id = $8",
    )
    .bind(filename)
    .bind(content_type(filename))
    .bind(bytes.len() as i64)
    .bind(&sha)
    .bind(&now)
    .bind(user.id)
    .bind(version)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    super::text::reread(
        &mut tx,
        &now,
        id,
        &super::text::meta(&r.title, filename, &r.folder),
    )
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "record.version",
            object_type: "record",
            object_id: id.to_string(),
            before: Some(json!({"version": r.version, "filename": r.filename, "sha256": r.sha256})),
            after: Some(json!({"version": version, "filename": filename, "sha256": sha, "size": bytes.len(), "note": note.trim()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// A record's bytes for download, with an audit event (who read what, when).
pub async fn content(
    app: &App,
    user: &CurrentUser,
    id: i64,
) -> Result<(RecordRow, Vec<u8>), AppError> {
    content_of_version(app, user, id, None).await
}

/// The bytes of one version of a record (`None`: the current one), audited.
pub async fn content_of_version(
    app: &App,
    user: &CurrentUser,
    id: i64,
    version: Option<i64>,
) -> Result<(RecordRow, Vec<u8>), AppError> {
    let mut r = get(app, user, id).await?;
    if r.status != "active" {
        return Err(AppError::NotFound("record".into()));
    }
    if let Some(v) = version.filter(|v| *v != r.version) {
        let old = versions(app, id)
            .await?
            .into_iter()
            .find(|x| x.version == v)
            .ok_or_else(|| AppError::NotFound("record version".into()))?;
        r.filename = old.filename;
        r.content_type = old.content_type;
        r.size = old.size;
        r.sha256 = old.sha256;
        r.version = old.version;
    }
    let bytes = crate::platform::blobs::get(app, &r.sha256).await?;
    audit_read(app, user, &r, "record.download").await?;
    Ok((r, bytes))
}

/// Audits a read of a record's content (`record.download`, `record.read_text`): which bytes,
/// which version, by whom.
async fn audit_read(
    app: &App,
    user: &CurrentUser,
    r: &RecordRow,
    action: &'static str,
) -> Result<(), AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action,
            object_type: "record",
            object_id: r.id.to_string(),
            before: None,
            after: Some(json!({"sha256": r.sha256, "version": r.version})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The text read out of a record's current document (`None` until it is read, or when it has
/// none), audited as a read of its content.
pub async fn extracted_text(
    app: &App,
    user: &CurrentUser,
    id: i64,
) -> Result<(RecordRow, Option<String>), AppError> {
    let r = get(app, user, id).await?;
    if r.status != "active" {
        return Err(AppError::NotFound("record".into()));
    }
    let text = super::text::text_of(app, id).await?;
    if text.is_some() {
        audit_read(app, user, &r, "record.read_text").await?;
    }
    Ok((r, text))
}

/// What a folder import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FolderImport {
    pub added: usize,
    /// Files already kept (same folder, name and content): a re-import adds nothing.
    pub already_kept: usize,
    pub bytes: u64,
}

/// The content type of a file, from its extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "doc" => "application/msword",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "eml" => "message/rfc822",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    }
}

/// The files under `root`, with their folder relative to it (`a/b`), sorted.
pub fn walk(root: &std::path::Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let folder = dir
                    .strip_prefix(root)
                    .map(|p| {
                        p.components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .unwrap_or_default();
                out.push((folder, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The category a file gets: the longest folder prefix in `mappings` (`folder` → code), else
/// `default`.
pub fn category_for<'a>(
    folder: &str,
    mappings: &'a [(String, String)],
    default: &'a str,
) -> &'a str {
    mappings
        .iter()
        .filter(|(prefix, _)| {
            let p = prefix.trim_matches('/');
            folder == p || folder.starts_with(&format!("{p}/")) || p.is_empty()
        })
        .max_by_key(|(prefix, _)| prefix.trim_matches('/').len())
        .map(|(_, code)| code.as_str())
        .unwrap_or(default)
}

/// Imports every file under `root` as a record, keeping its folder, classified by `mappings`
/// (folder prefix → category code) or `default`. Everything is checked first (categories
/// exist, files readable and not empty) and nothing is kept if anything is wrong; then each
/// file is kept in its own transaction, skipping files already kept, so an interrupted import
/// finishes when run again. `progress(done, total)` is called after each file.
pub async fn import_folder(
    app: &App,
    user: &CurrentUser,
    root: &std::path::Path,
    default: &str,
    mappings: &[(String, String)],
    owners: &Owners,
    mut progress: impl FnMut(u64, u64),
) -> Result<Result<FolderImport, Vec<String>>, AppError> {
    let files = walk(root).map_err(|e| {
        AppError::BadRequest(format!("cannot read the folder {}: {e}", root.display()))
    })?;
    let mut problems = vec![];
    let mut codes: Vec<&str> = mappings.iter().map(|(_, c)| c.as_str()).collect();
    codes.push(default);
    for code in codes {
        if let Err(AppError::Validation(fs)) = category_by_code(app, code).await {
            problems.extend(fs.into_iter().map(|f| f.message));
        }
    }
    if let Err(AppError::Validation(fs)) = resolve_owners(app, user, owners).await {
        problems.extend(fs.into_iter().map(|f| f.message));
    }
    if files.is_empty() {
        problems.push(format!("{} holds no file.", root.display()));
    }
    for (_, path) in &files {
        match std::fs::metadata(path) {
            Ok(m) if m.len() == 0 => {
                problems.push(format!("{}: the file is empty.", path.display()))
            }
            Ok(_) => {}
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    problems.dedup();
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let mut report = FolderImport::default();
    let total = files.len() as u64;
    let today = app.clock.today();
    // Written 256 documents (or 64 MB) per transaction: a crash loses at most the batch in
    // flight, and a re-run skips what is already kept.
    let mut batch: Vec<NewRecord> = vec![];
    let mut batch_bytes = 0usize;
    for (k, (folder, path)) in files.iter().enumerate() {
        let bytes = std::fs::read(path)
            .map_err(|e| AppError::BadRequest(format!("cannot read {}: {e}", path.display())))?;
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha = blobstore::BlobStore::digest(&bytes);
        let kept: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM records WHERE sha256 = $1 AND folder = $2 AND filename = $3",
        )
        .bind(&sha)
        .bind(folder)
        .bind(&filename)
        .fetch_optional(app.db.pool())
        .await?;
        let twice = batch
            .iter()
            .any(|b| b.folder == *folder && b.filename == filename);
        if kept.is_some() || twice {
            report.already_kept += 1;
        } else {
            // Created on the file's modification day (never later than today).
            let created_on = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| jiff::Timestamp::try_from(t).ok())
                .map(|t| {
                    t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                        .date()
                        .to_string()
                })
                .map(|d| d.min(today.clone()))
                .unwrap_or_else(|| today.clone());
            report.bytes += bytes.len() as u64;
            batch_bytes += bytes.len();
            batch.push(NewRecord {
                title: String::new(),
                content_type: content_type(&filename).to_string(),
                filename,
                bytes,
                folder: folder.clone(),
                category_code: category_for(folder, mappings, default).to_string(),
                created_on,
                owners: owners.clone(),
            });
        }
        if batch.len() >= 256 || batch_bytes >= 64 << 20 || k + 1 == files.len() {
            if !batch.is_empty() {
                report.added += add_many(app, user, std::mem::take(&mut batch)).await?.len();
            }
            batch_bytes = 0;
            progress(k as u64 + 1, total);
        }
    }
    Ok(Ok(report))
}
