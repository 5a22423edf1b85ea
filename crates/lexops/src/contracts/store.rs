//! The contract repository: contracts, intake requests, versions (immutable, content-addressed
//! documents with their text), status changes, comments. Every change is audited in its own
//! transaction; a contract of a walled matter is absent for everyone off the wall.

use serde_json::json;

use super::model::{
    self, Comment, Contract, ContractInput, Parties, SELECT, Status, StatusChange, VERSION_SELECT,
    ValidContract, Version,
};
use crate::platform::access::{CurrentUser, visible_sql_for};
use crate::platform::app::App;
use crate::platform::audit::{self, Change};
use crate::platform::blobs;
use crate::platform::db::Tx;
use crate::platform::error::{AppError, FieldError};

/// The roles that may own a contract in legal.
const OWNER_ROLES: &str = "('admin','legal_ops','attorney','paralegal')";

/// The wall condition for contracts (`c`), with the viewer's id bound as `$N` (0 for `None`,
/// the operator at the command line, whose condition `$N = 0` keeps every row and keeps the
/// parameter numbering the same either way).
pub fn visible(viewer: Option<&CurrentUser>, n: usize) -> String {
    match viewer {
        Some(_) => visible_sql_for(viewer, "matter", "c.matter_id", n),
        None => format!(" AND ${n} = 0"),
    }
}

/// The ORDER BY of a list: a whitelisted sort key, newest changes first by default.
pub fn order_by(params: &crate::platform::web::ui::ListParams) -> String {
    let mut p = params.clone();
    if p.sort.is_empty() {
        p.sort = "updated".into();
        p.dir = "desc".into();
    }
    p.order_by(SORTS)
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub q: String,
    pub status: String,
    pub type_code: String,
    pub owner_id: Option<i64>,
    pub requester_id: Option<i64>,
    /// Only contracts expiring on or before this date (YYYY-MM-DD).
    pub expires_by: String,
    /// Only contracts with this counterparty (the whole name, any case).
    pub counterparty: String,
}

impl Filter {
    /// A search for `q` with a status and a type ("" for any).
    pub fn search(q: &str, status: &str, type_code: &str) -> Filter {
        Filter {
            q: q.to_string(),
            status: status.to_string(),
            type_code: type_code.to_string(),
            ..Default::default()
        }
    }
}

/// The condition of [`Filter::counterparty`] on parameter `$n`.
fn party_condition(n: usize) -> String {
    format!(
        " AND (${n} = '' OR c.id IN (SELECT cp.contract_id FROM contract_parties cp WHERE cp.name_key = ${n}))"
    )
}

/// Sort keys for lists: (key, ORDER BY expression).
pub const SORTS: &[(&str, &str)] = &[
    ("updated", "c.updated_at"),
    ("number", "c.number"),
    ("title", "LOWER(c.title)"),
    ("counterparty", "LOWER(c.counterparty)"),
    ("status", "c.status"),
    ("value", "c.value_minor"),
    ("expires", "c.expires_on"),
];

/// The search condition of `q` as `$1` (with the value to bind), or `None` when `q` has no word
/// to look for; an empty `q` matches everything (`$1 = ''`).
fn text_condition(app: &App, q: &str) -> Option<(String, String)> {
    if q.trim().is_empty() {
        return Some(("$1 = ''".into(), String::new()));
    }
    crate::platform::search::matches(app.db.backend(), "contract_text", "c.id", q, 1)
}

/// Contracts matching `f`, visible to `viewer` (`None`: the operator at the command line). A
/// search (`f.q`) looks in the number, title, parties, governing law and the text of every
/// version, and brings a snippet of the text around the matches.
pub async fn list(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contract>, i64), AppError> {
    let (rows, total, _) = search(app, viewer, f, order_by, limit, offset).await?;
    Ok((rows, total))
}

/// A page of the contracts matching `f`, with snippets when searching.
async fn rows(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Contract>, AppError> {
    let Some((text, like)) = text_condition(app, &f.q) else {
        return Ok(vec![]);
    };
    let filter = format!(
        "{text} AND ($2 = '' OR c.status = $2) AND ($3 = '' OR t.code = $3) AND ($4 = 0 OR c.owner_id = $4) AND ($5 = 0 OR c.requester_id = $5) \
         AND ($6 = '' OR c.expires_on <= $6){}{}",
        visible(viewer, 7),
        party_condition(10)
    );
    let uid = viewer.map(|u| u.id).unwrap_or(0);
    let mut rows = sqlx::query_as::<_, Contract>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {filter} ORDER BY {order_by}, c.id DESC LIMIT $8 OFFSET $9"
    )))
    .bind(&like)
    .bind(&f.status)
    .bind(&f.type_code)
    .bind(f.owner_id.unwrap_or(0))
    .bind(f.requester_id.unwrap_or(0))
    .bind(&f.expires_by)
    .bind(uid)
    .bind(limit)
    .bind(offset)
    .bind(Parties::key(&f.counterparty))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    with_snippets(app, f, &mut rows).await?;
    Ok(rows)
}

/// The contracts `ids` in that order (those `viewer` may see), with snippets when searching.
async fn rows_by_id(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
    ids: &[i64],
) -> Result<Vec<Contract>, AppError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let list = crate::platform::db::id_list(ids.iter().copied());
    let found = sqlx::query_as::<_, Contract>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.id IN ({list}){}",
        visible(viewer, 1)
    )))
    .bind(viewer.map(|u| u.id).unwrap_or(0))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    let mut by_id: std::collections::HashMap<i64, Contract> =
        found.into_iter().map(|c| (c.id, c)).collect();
    let mut rows: Vec<Contract> = ids.iter().filter_map(|i| by_id.remove(i)).collect();
    with_snippets(app, f, &mut rows).await?;
    Ok(rows)
}

async fn with_snippets(app: &App, f: &Filter, rows: &mut [Contract]) -> Result<(), AppError> {
    if !f.q.trim().is_empty() {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut snips = crate::platform::search::snippets(app, "contract_text", &f.q, &ids).await?;
        for r in rows {
            r.snippet = snips.remove(&r.id);
        }
    }
    Ok(())
}
/// Counts of the contracts matching a search by status and by type (each facet ignores its own
/// filter, so every value can be chosen): `(status, count)` and `(type code, name, count)`.
pub type Facets = (Vec<(String, i64)>, Vec<(String, String, i64)>);

pub async fn facets(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
) -> Result<Facets, AppError> {
    if !f.q.trim().is_empty()
        && let Some(a) = super::index::search(app, viewer, f, "", 0, 0).await?
    {
        return Ok(a.grid.facets(f));
    }
    Ok(grid(app, viewer, f).await?.facets(f))
}

/// How the contracts matching a search (all filters but status and type) divide by status and
/// type: one pass over the matches gives the total and both facets.
#[derive(Default)]
pub struct Grid(pub Vec<(String, String, String, i64)>);

impl Grid {
    /// The contracts matching every filter.
    pub fn total(&self, f: &Filter) -> i64 {
        self.0
            .iter()
            .filter(|(s, t, _, _)| {
                (f.status.is_empty() || *s == f.status)
                    && (f.type_code.is_empty() || *t == f.type_code)
            })
            .map(|r| r.3)
            .sum()
    }

    pub fn facets(&self, f: &Filter) -> Facets {
        let mut statuses: Vec<(String, i64)> = vec![];
        let mut types: Vec<(String, String, i64)> = vec![];
        for (s, t, name, n) in &self.0 {
            if f.type_code.is_empty() || *t == f.type_code {
                match statuses.iter_mut().find(|x| x.0 == *s) {
                    Some(x) => x.1 += n,
                    None => statuses.push((s.clone(), *n)),
                }
            }
            if f.status.is_empty() || *s == f.status {
                match types.iter_mut().find(|x| x.0 == *t) {
                    Some(x) => x.2 += n,
                    None => types.push((t.clone(), name.clone(), *n)),
                }
            }
        }
        // In the order of the life cycle; types by count.
        statuses.sort_by_key(|(s, _)| Status::parse(s).map(|x| x as u8).unwrap_or(99));
        types.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        (statuses, types)
    }
}

/// The status × type counts of a search (see [`Grid`]), from the database.
pub async fn grid(app: &App, viewer: Option<&CurrentUser>, f: &Filter) -> Result<Grid, AppError> {
    let Some((text, like)) = text_condition(app, &f.q) else {
        return Ok(Grid(vec![]));
    };
    // Not a cached statement: PostgreSQL then plans each search with its words (a generic plan,
    // blind to the query's selectivity, scanned every row's tsvector: seconds at 100,000).
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.status, t.code, t.name, COUNT(*) FROM contracts c JOIN contract_types t ON t.id = c.type_id WHERE {text} \
         AND ($2 = 0 OR c.owner_id = $2) AND ($3 = 0 OR c.requester_id = $3) AND ($4 = '' OR c.expires_on <= $4){}{} GROUP BY c.status, t.code, t.name",
        visible(viewer, 5),
        party_condition(6)
    )))
    .bind(&like)
    .bind(f.owner_id.unwrap_or(0))
    .bind(f.requester_id.unwrap_or(0))
    .bind(&f.expires_by)
    .bind(viewer.map(|u| u.id).unwrap_or(0))
    .bind(Parties::key(&f.counterparty))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    Ok(Grid(rows))
}

/// A search as the repository page runs it: a page of rows with snippets, the total and the
/// facets. A search with words goes to the search index ([`super::index`]: the counts and the
/// page's ids; the rows are read here by id, walls in SQL), or to the database when the index
/// is unavailable; a list without words, to the database.
pub async fn search(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contract>, i64, Facets), AppError> {
    if !f.q.trim().is_empty()
        && let Some(a) = super::index::search(app, viewer, f, order_by, limit, offset).await?
    {
        let total = a.grid.total(f);
        let rows = match a.page {
            Some(ids) => rows_by_id(app, viewer, f, &ids).await?,
            None if total == 0 => vec![],
            None => rows(app, viewer, f, order_by, limit, offset).await?,
        };
        return Ok((rows, total, a.grid.facets(f)));
    }
    search_in_database(app, viewer, f, order_by, limit, offset).await
}

/// [`search`] answered by the database alone (the index's fallback; the stories compare both).
pub async fn search_in_database(
    app: &App,
    viewer: Option<&CurrentUser>,
    f: &Filter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contract>, i64, Facets), AppError> {
    let g = grid(app, viewer, f).await?;
    let total = g.total(f);
    let rows = if total == 0 {
        vec![]
    } else {
        rows(app, viewer, f, order_by, limit, offset).await?
    };
    Ok((rows, total, g.facets(f)))
}

/// Writes a contract's search row: its metadata and the text of all its versions.
pub async fn index(tx: &mut Tx, contract_id: i64) -> Result<(), sqlx::Error> {
    let (number, title, counterparty, our_entity, law, type_name): (String, String, String, String, String, String) = sqlx::query_as(
        "SELECT c.number, c.title, c.counterparty, c.our_entity, c.governing_law, t.name FROM contracts c JOIN contract_types t ON t.id = c.type_id WHERE c.id = $1",
    )
    .bind(contract_id)
    .fetch_one(&mut **tx)
    .await?;
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT text FROM contract_versions WHERE contract_id = $1 ORDER BY version DESC",
    )
    .bind(contract_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut body = String::new();
    for t in texts {
        if body.len() + t.len() > MAX_TEXT {
            break;
        }
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&t);
    }
    let meta = format!("{number} {title} {counterparty} {our_entity} {law} {type_name}");
    sqlx::query("DELETE FROM contract_text WHERE rowid = $1")
        .bind(contract_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO contract_text (rowid, meta, body) VALUES ($1, $2, $3)")
        .bind(contract_id)
        .bind(meta)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    // The search index reads it again (see `index`; the contract's own changes queue it too).
    sqlx::query("INSERT INTO contract_search_queue (contract_id) VALUES ($1)")
        .bind(contract_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One contract, if `viewer` may see it.
pub async fn get(app: &App, viewer: Option<&CurrentUser>, id: i64) -> Result<Contract, AppError> {
    sqlx::query_as::<_, Contract>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.id = $1{}",
        visible(viewer, 2)
    )))
    .bind(id)
    .bind(viewer.map(|u| u.id).unwrap_or(0))
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("contract".into()))
}

/// A contract by its number, if visible.
pub async fn by_number(
    app: &App,
    viewer: Option<&CurrentUser>,
    number: &str,
) -> Result<Contract, AppError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM contracts WHERE number = $1")
        .bind(number.trim())
        .fetch_optional(app.db.pool())
        .await?;
    get(
        app,
        viewer,
        id.ok_or_else(|| AppError::NotFound("contract".into()))?,
    )
    .await
}

/// Contract types (code, name).
pub async fn types(app: &App) -> Result<Vec<(String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT code, name FROM contract_types ORDER BY position, name")
            .fetch_all(app.db.pool())
            .await?,
    )
}

/// People who may own a contract (id, name, email).
pub async fn owners(app: &App) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, email FROM users WHERE status = 'active' AND role IN {OWNER_ROLES} ORDER BY name"
    )))
    .fetch_all(app.db.pool())
    .await?)
}

/// Resolved references of a checked input.
struct Refs {
    type_id: i64,
    owner_id: Option<i64>,
    matter_id: Option<i64>,
    parent_id: Option<i64>,
}

async fn resolve(
    tx: &mut Tx,
    user: &CurrentUser,
    v: &ValidContract,
    self_id: Option<i64>,
) -> Result<Refs, AppError> {
    let mut errs = vec![];
    let type_id: Option<i64> = sqlx::query_scalar("SELECT id FROM contract_types WHERE code = $1")
        .bind(&v.type_code)
        .fetch_optional(&mut **tx)
        .await?;
    if type_id.is_none() {
        errs.push(FieldError::new(
            "type",
            format!("There is no contract type `{}`.", v.type_code),
        ));
    }
    let owner_id = match &v.owner_email {
        Some(email) => {
            let id: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM users WHERE LOWER(email) = $1 AND status = 'active' AND role IN {OWNER_ROLES}"
            )))
            .bind(email)
            .fetch_optional(&mut **tx)
            .await?;
            if id.is_none() {
                errs.push(FieldError::new(
                    "owner_email",
                    format!("{email} is not an active lawyer, paralegal or legal ops user."),
                ));
            }
            id
        }
        None => None,
    };
    let matter_id = match &v.matter_number {
        Some(n) => {
            let id: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT m.id FROM matters m WHERE m.number = $1 AND {}",
                crate::platform::access::visible_sql("matter", "m.id", 2)
            )))
            .bind(n)
            .bind(user.id)
            .fetch_optional(&mut **tx)
            .await?;
            if id.is_none() {
                errs.push(FieldError::new(
                    "matter_number",
                    format!("There is no matter {n}."),
                ));
            }
            id
        }
        None => None,
    };
    let parent_id = match &v.parent_number {
        Some(n) => {
            let id: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT c.id FROM contracts c WHERE c.number = $1{}",
                visible(Some(user), 2)
            )))
            .bind(n)
            .bind(user.id)
            .fetch_optional(&mut **tx)
            .await?;
            match id {
                None => errs.push(FieldError::new(
                    "parent_number",
                    format!("There is no contract {n}."),
                )),
                Some(p) if Some(p) == self_id => errs.push(FieldError::new(
                    "parent_number",
                    "A contract cannot be its own parent.",
                )),
                _ => {}
            }
            id
        }
        None => None,
    };
    if errs.is_empty() {
        Ok(Refs {
            type_id: type_id.expect("checked"),
            owner_id,
            matter_id,
            parent_id,
        })
    } else {
        Err(AppError::Validation(errs))
    }
}

/// The lawyer with the fewest contracts in progress (ties: the longest-standing account): who
/// owns a request nobody was named for.
async fn least_loaded_owner(tx: &mut Tx) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM users u WHERE u.status = 'active' AND u.role IN ('legal_ops','attorney') \
         ORDER BY (SELECT COUNT(*) FROM contracts c WHERE c.owner_id = u.id AND c.status NOT IN ('executed','expired','terminated')), u.id LIMIT 1",
    )
    .fetch_optional(&mut **tx)
    .await?)
}

fn audit_view(v: &ValidContract, status: &str) -> serde_json::Value {
    json!({
        "title": v.title, "type": v.type_code, "status": status, "counterparty": v.counterparty, "our_entity": v.our_entity,
        "value_minor": v.value_minor, "currency": v.currency, "effective_on": v.effective_on.map(|d| d.to_string()),
        "term_months": v.term_months, "expires_on": v.expires_on.map(|d| d.to_string()), "auto_renew": v.auto_renew,
        "renewal_months": v.renewal_months, "notice_days": v.notice_days, "governing_law": v.governing_law,
        "termination_notice_days": v.termination_notice_days, "termination_after_months": v.termination_after_months,
        "option_from_days": v.option_from_days, "option_to_days": v.option_to_days,
        "owner": v.owner_email, "matter": v.matter_number, "parent": v.parent_number,
    })
}

/// Writes a contract's terms — parties, dates, term, renewal, notice, governing law, and the
/// options below — after a change (the form, the verification queue).
pub(super) async fn write_terms(
    tx: &mut Tx,
    id: i64,
    v: &ValidContract,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE contracts SET counterparty = $1, our_entity = $2, effective_on = $3, term_months = $4, expires_on = $5, auto_renew = $6, renewal_months = $7, \
         notice_days = $8, governing_law = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(&v.counterparty)
    .bind(&v.our_entity)
    .bind(v.effective_on.map(|d| d.to_string()))
    .bind(v.term_months)
    .bind(v.expires_on.map(|d| d.to_string()))
    .bind(v.auto_renew as i64)
    .bind(v.renewal_months)
    .bind(v.notice_days)
    .bind(&v.governing_law)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    write_parties(tx, id, &v.counterparties).await?;
    write_options(tx, id, v).await
}

/// Keeps a contract's counterparties one row each (for the filter by counterparty), written
/// with `contracts.counterparty` — their joined text — by the same callers.
async fn write_parties(tx: &mut Tx, id: i64, parties: &Parties) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contract_parties WHERE contract_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (k, name) in parties.0.iter().enumerate() {
        sqlx::query(
            "INSERT INTO contract_parties (contract_id, position, name, name_key) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(k as i64 + 1)
        .bind(name)
        .bind(Parties::key(name))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes the termination-for-convenience and option-window terms, and marks the stored key
/// dates stale (every change of terms comes through here).
pub(super) async fn write_options(
    tx: &mut Tx,
    id: i64,
    v: &ValidContract,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE contracts SET termination_notice_days = $1, termination_after_months = $2, option_from_days = $3, option_to_days = $4, key_dates_until = '' WHERE id = $5",
    )
    .bind(v.termination_notice_days)
    .bind(v.termination_after_months)
    .bind(v.option_from_days)
    .bind(v.option_to_days)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates a contract in `draft` (a request when `requester` is set).
pub(super) async fn insert(
    tx: &mut Tx,
    now: &str,
    user: &CurrentUser,
    v: &ValidContract,
    requester: Option<i64>,
) -> Result<i64, AppError> {
    let refs = resolve(tx, user, v, None).await?;
    let owner = match refs.owner_id {
        Some(o) => Some(o),
        None => least_loaded_owner(tx).await?,
    };
    // A unique placeholder, replaced by the number made from the id.
    let placeholder = format!("new-{}", hex::encode(rand_bytes()));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contracts (number, title, type_id, status, status_at, counterparty, our_entity, value_minor, currency, effective_on, term_months, expires_on, \
         auto_renew, renewal_months, notice_days, governing_law, owner_id, requester_id, matter_id, parent_id, business_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $4, $4) RETURNING id",
    )
    .bind(&placeholder)
    .bind(&v.title)
    .bind(refs.type_id)
    .bind(now)
    .bind(&v.counterparty)
    .bind(&v.our_entity)
    .bind(v.value_minor)
    .bind(&v.currency)
    .bind(v.effective_on.map(|d| d.to_string()))
    .bind(v.term_months)
    .bind(v.expires_on.map(|d| d.to_string()))
    .bind(v.auto_renew as i64)
    .bind(v.renewal_months)
    .bind(v.notice_days)
    .bind(&v.governing_law)
    .bind(owner)
    .bind(requester)
    .bind(refs.matter_id)
    .bind(refs.parent_id)
    .bind(&v.business_reason)
    .fetch_one(&mut **tx)
    .await?;
    write_options(tx, id, v).await?;
    write_parties(tx, id, &v.counterparties).await?;
    let number = format!("CT-{}-{id:05}", &now[..4]);
    sqlx::query("UPDATE contracts SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    status_row(
        tx,
        id,
        None,
        Status::Draft,
        if requester.is_some() { "requested" } else { "" },
        now,
        user.id,
    )
    .await?;
    index(tx, id).await?;
    let mut after = audit_view(v, "draft");
    after["number"] = json!(number);
    audit::record(
        tx,
        now,
        &user.actor(),
        Change {
            action: if requester.is_some() {
                "contract.request"
            } else {
                "contract.create"
            },
            object_type: "contract",
            object_id: id.to_string(),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(id)
}

fn rand_bytes() -> [u8; 8] {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the system's random source");
    b
}

pub(super) async fn status_row(
    tx: &mut Tx,
    id: i64,
    from: Option<Status>,
    to: Status,
    note: &str,
    now: &str,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contract_status_history (contract_id, from_status, to_status, note, at, by_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(from.map(Status::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(now)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates a contract (legal staff).
pub async fn create(
    app: &App,
    user: &CurrentUser,
    input: &ContractInput,
) -> Result<Contract, AppError> {
    let v = model::check(input).map_err(AppError::Validation)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id = insert(&mut tx, &now, user, &v, None).await?;
    tx.commit().await?;
    get(app, Some(user), id).await
}

/// A file sent with a request.
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// An intake request from anyone in the business: a contract in `draft` owned by the
/// least-loaded lawyer, with the requester's attachments as its first versions. All or
/// nothing: an unreadable attachment refuses the request.
pub async fn request(
    app: &App,
    user: &CurrentUser,
    input: &ContractInput,
    attachments: Vec<Upload>,
) -> Result<Contract, AppError> {
    let mut input = input.clone();
    // A requester names neither the owner, a matter nor a parent contract: legal decides (and a
    // requester learns nothing of the repository by guessing numbers).
    input.owner_email.clear();
    input.matter_number.clear();
    input.parent_number.clear();
    let v = model::check(&input).map_err(AppError::Validation)?;
    if v.business_reason.is_empty() {
        return Err(AppError::field(
            "business_reason",
            "Say what the contract is for.",
        ));
    }
    let mut read = vec![];
    for a in attachments {
        read.push(prepare(app, a.filename, a.bytes).await?);
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id = insert(&mut tx, &now, user, &v, Some(user.id)).await?;
    for (i, p) in read.iter().enumerate() {
        write_version(
            &mut tx,
            &now,
            user,
            id,
            i as i64 + 1,
            p,
            "attachment",
            "",
            None,
        )
        .await?;
    }
    tx.commit().await?;
    get(app, None, id).await
}

/// Changes a contract's fields (not its status). A locked (executed) contract refuses.
pub async fn update(
    app: &App,
    user: &CurrentUser,
    id: i64,
    input: &ContractInput,
) -> Result<Contract, AppError> {
    let before = get(app, Some(user), id).await?;
    if before.is_locked() {
        return Err(AppError::Conflict(format!(
            "{} is executed and locked.",
            before.number
        )));
    }
    let v = model::check(input).map_err(AppError::Validation)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let refs = resolve(&mut tx, user, &v, Some(id)).await?;
    sqlx::query(
        "UPDATE contracts SET title = $1, type_id = $2, value_minor = $3, currency = $4, owner_id = COALESCE($5, owner_id), matter_id = $6, \
         parent_id = $7, business_reason = $8 WHERE id = $9",
    )
    .bind(&v.title)
    .bind(refs.type_id)
    .bind(v.value_minor)
    .bind(&v.currency)
    .bind(refs.owner_id)
    .bind(refs.matter_id)
    .bind(refs.parent_id)
    .bind(&v.business_reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    write_terms(&mut tx, id, &v, &now).await?;
    index(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.update",
            object_type: "contract",
            object_id: id.to_string(),
            before: Some(serde_json::to_value(&before).unwrap_or_default()),
            after: Some(audit_view(&v, &before.status)),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, Some(user), id).await
}

/// Moves a contract to `to`, if the status graph allows it and its conditions hold.
pub async fn set_status(
    app: &App,
    user: &CurrentUser,
    id: i64,
    to: Status,
    note: &str,
) -> Result<Contract, AppError> {
    let c = get(app, Some(user), id).await?;
    let from = c.status();
    if !from.next().contains(&to) {
        return Err(AppError::Conflict(format!(
            "{} is {}; it can move to {} only.",
            c.number,
            from.label().to_lowercase(),
            if from.next().is_empty() {
                "nothing else".to_string()
            } else {
                from.next()
                    .iter()
                    .map(|s| s.label().to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    if to == Status::Signature && !super::approvals::complete(&mut tx, id).await? {
        return Err(AppError::Conflict(format!(
            "{} still waits for approvals of its current version.",
            c.number
        )));
    }
    if to == Status::Executed && !super::approvals::signed(&mut tx, id).await? {
        return Err(AppError::Conflict(format!(
            "{} has no signed copy: record who signs, then upload the signed document.",
            c.number
        )));
    }
    let locked = matches!(to, Status::Executed | Status::Expired | Status::Terminated) as i64;
    let changed = sqlx::query(
        "UPDATE contracts SET status = $1, status_at = $2, updated_at = $2, locked = $3, key_dates_until = '' WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(&now)
    .bind(locked.max(c.locked))
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict(format!(
            "{} changed meanwhile; reload and try again.",
            c.number
        )));
    }
    status_row(&mut tx, id, Some(from), to, note.trim(), &now, user.id).await?;
    if to == Status::Approval {
        let mut moved = c.clone();
        moved.status = to.as_str().into();
        super::approvals::require(&mut tx, app, &now, &moved).await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.status",
            object_type: "contract",
            object_id: id.to_string(),
            before: Some(json!({"status": from.as_str()})),
            after: Some(json!({"status": to.as_str(), "note": note.trim()})),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, Some(user), id).await
}

/// A document read and ready to store: its text, whether it carries tracked changes, and the
/// sealed bytes.
pub struct Prepared {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub text: String,
    pub tracked_changes: bool,
    sealed: Option<blobstore::SealedBlob>,
}

/// The most text kept per version.
const MAX_TEXT: usize = 4 * 1024 * 1024;
/// The largest contract document.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

/// Reads an uploaded contract document (DOCX, PDF or text) and seals its bytes. A corrupt,
/// encrypted or unreadable file is refused here, before anything is written.
pub async fn prepare(app: &App, filename: String, bytes: Vec<u8>) -> Result<Prepared, AppError> {
    let filename = crate::platform::web::safe_filename(&filename);
    if bytes.is_empty() {
        return Err(AppError::field("file", format!("{filename} is empty.")));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::field(
            "file",
            format!("{filename} is larger than 50 MB."),
        ));
    }
    let mut kind = evidence::kind_of(&filename, &bytes);
    if filename.to_ascii_lowercase().ends_with(".docx") && kind != evidence::Kind::Docx {
        // Named Word but not a Word package: say why (password-protected, not a zip…).
        kind = evidence::Kind::Docx;
        if let Err(e) = evidence::extract(kind, &bytes, &evidence::Limits::default()) {
            return Err(AppError::field("file", format!("{filename}: {e}")));
        }
    }
    if !matches!(
        kind,
        evidence::Kind::Docx | evidence::Kind::Pdf | evidence::Kind::Text
    ) {
        return Err(AppError::field(
            "file",
            format!("{filename}: contracts are Word (.docx), PDF or text files."),
        ));
    }
    let tracked = if kind == evidence::Kind::Docx {
        let b = bytes.clone();
        tokio::task::spawn_blocking(move || {
            evidence::docx_revisions(&b, &evidence::Limits::default())
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?
        .map_err(|e| AppError::field("file", format!("{filename}: {e}")))?
            > 0
    } else {
        false
    };
    let text = match crate::records::text::extract(app, &filename, bytes.clone(), MAX_TEXT).await {
        Ok(Some((_, x))) => x.text,
        Ok(None) => String::new(),
        Err(e) => return Err(AppError::field("file", format!("{filename}: {e}"))),
    };
    if text.trim().is_empty() {
        return Err(AppError::field(
            "file",
            format!("{filename} has no text to read (a scanned PDF needs OCR first)."),
        ));
    }
    let sha256 = blobstore::BlobStore::digest(&bytes);
    let sealed = blobs::seal(app, &bytes).await?;
    Ok(Prepared {
        content_type: match kind {
            evidence::Kind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            evidence::Kind::Pdf => "application/pdf",
            _ => "text/plain; charset=utf-8",
        }
        .into(),
        size: bytes.len() as i64,
        filename,
        sha256,
        text,
        tracked_changes: tracked,
        sealed,
    })
}

/// A generated document, ready to store (its bytes sealed).
pub async fn prepare_generated(
    app: &App,
    filename: String,
    bytes: Vec<u8>,
    text: String,
) -> Result<Prepared, AppError> {
    let sha256 = blobstore::BlobStore::digest(&bytes);
    let sealed = blobs::seal(app, &bytes).await?;
    Ok(Prepared {
        filename,
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            .into(),
        size: bytes.len() as i64,
        sha256,
        text,
        tracked_changes: false,
        sealed,
    })
}

/// Template details of a generated version.
pub struct Generated<'a> {
    pub template_id: i64,
    pub revision: i64,
    pub answers_json: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_version(
    tx: &mut Tx,
    now: &str,
    user: &CurrentUser,
    contract_id: i64,
    version: i64,
    p: &Prepared,
    source: &str,
    note: &str,
    generated: Option<&Generated<'_>>,
) -> Result<i64, AppError> {
    if let Some(s) = &p.sealed {
        blobs::insert_row(tx, s, now).await?;
    }
    let vid: i64 = sqlx::query_scalar(
        "INSERT INTO contract_versions (contract_id, version, sha256, filename, content_type, size, source, text, tracked_changes, template_id, template_revision, \
         answers_json, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(contract_id)
    .bind(version)
    .bind(&p.sha256)
    .bind(&p.filename)
    .bind(&p.content_type)
    .bind(p.size)
    .bind(source)
    .bind(&p.text)
    .bind(p.tracked_changes as i64)
    .bind(generated.map(|g| g.template_id))
    .bind(generated.map(|g| g.revision))
    .bind(generated.map(|g| g.answers_json))
    .bind(note)
    .bind(now)
    .bind(user.id)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE contracts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(contract_id)
        .execute(&mut **tx)
        .await?;
    index(tx, contract_id).await?;
    audit::record(
        tx,
        now,
        &user.actor(),
        Change {
            action: "contract.version",
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({
                "version": version, "source": source, "filename": p.filename, "sha256": p.sha256, "size": p.size,
                "tracked_changes": p.tracked_changes, "template_id": generated.map(|g| g.template_id),
                "template_revision": generated.map(|g| g.revision), "note": note,
            })),
        },
    )
    .await?;
    Ok(vid)
}

/// Adds a version to a contract. The same bytes as an existing version are refused (versions
/// are content-addressed); a locked contract takes no new version.
pub async fn add_version(
    app: &App,
    user: &CurrentUser,
    id: i64,
    p: Prepared,
    source: &str,
    note: &str,
    generated: Option<Generated<'_>>,
) -> Result<Version, AppError> {
    add_version_signed(app, user, id, p, source, note, generated, &[]).await
}

/// [`add_version`] with, for a signed copy, the date each signatory signed (by name; today for
/// those not named). A signed copy completes the open signature request, and there must be one.
#[allow(clippy::too_many_arguments)]
pub async fn add_version_signed(
    app: &App,
    user: &CurrentUser,
    id: i64,
    p: Prepared,
    source: &str,
    note: &str,
    generated: Option<Generated<'_>>,
    signed_on: &[(String, String)],
) -> Result<Version, AppError> {
    let c = get(app, Some(user), id).await?;
    if !model::SOURCES.iter().any(|(k, _)| *k == source) || source == "attachment" {
        return Err(AppError::field(
            "source",
            "Choose ours, counterparty, generated or signed.",
        ));
    }
    if c.is_locked() {
        return Err(AppError::Conflict(format!(
            "{} is {} and locked: it takes no new version.",
            c.number,
            c.status_label().to_lowercase()
        )));
    }
    if source == "signed" && c.status() != Status::Signature {
        return Err(AppError::Conflict(format!(
            "A signed copy is added at the signature stage; {} is {}.",
            c.number,
            c.status_label().to_lowercase()
        )));
    }
    let note = note.trim();
    if note.chars().count() > 2000 {
        return Err(AppError::field("note", "At most 2,000 characters."));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let same: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM contract_versions WHERE contract_id = $1 AND sha256 = $2",
    )
    .bind(id)
    .bind(&p.sha256)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(v) = same {
        return Err(AppError::Conflict(format!(
            "This file is the same as version {v} of {}.",
            c.number
        )));
    }
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM contract_versions WHERE contract_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let vid = write_version(
        &mut tx,
        &now,
        user,
        id,
        next,
        &p,
        source,
        note,
        generated.as_ref(),
    )
    .await?;
    if source == "signed" {
        if !super::approvals::complete_signature(&mut tx, &now, id, vid, signed_on).await? {
            return Err(AppError::Conflict(format!(
                "{}: record who signs (the signature request) before the signed copy.",
                c.number
            )));
        }
    } else {
        super::approvals::on_new_version(&mut tx, app, &now, &c, next).await?;
    }
    tx.commit().await?;
    version(app, Some(user), id, vid).await
}

/// Versions of a contract, newest first.
pub async fn versions(app: &App, contract_id: i64) -> Result<Vec<Version>, AppError> {
    Ok(sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
        "{VERSION_SELECT} WHERE v.contract_id = $1 ORDER BY v.version DESC"
    )))
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// One version (by its id), if its contract is visible.
pub async fn version(
    app: &App,
    viewer: Option<&CurrentUser>,
    contract_id: i64,
    version_id: i64,
) -> Result<Version, AppError> {
    get(app, viewer, contract_id).await?;
    sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
        "{VERSION_SELECT} WHERE v.contract_id = $1 AND v.id = $2"
    )))
    .bind(contract_id)
    .bind(version_id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("version".into()))
}

/// One version by its number.
pub async fn version_by_number(
    app: &App,
    viewer: Option<&CurrentUser>,
    contract_id: i64,
    number: i64,
) -> Result<Version, AppError> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM contract_versions WHERE contract_id = $1 AND version = $2",
    )
    .bind(contract_id)
    .bind(number)
    .fetch_optional(app.db.pool())
    .await?;
    version(
        app,
        viewer,
        contract_id,
        id.ok_or_else(|| AppError::NotFound("version".into()))?,
    )
    .await
}

/// A version's text.
pub async fn version_text(app: &App, version_id: i64) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT text FROM contract_versions WHERE id = $1")
            .bind(version_id)
            .fetch_one(app.db.pool())
            .await?,
    )
}

/// A version's bytes, verified; the download is audited.
pub async fn version_bytes(
    app: &App,
    user: &CurrentUser,
    v: &Version,
) -> Result<Vec<u8>, AppError> {
    let bytes = blobs::get(app, &v.sha256).await?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.download",
            object_type: "contract",
            object_id: v.contract_id.to_string(),
            before: None,
            after: Some(json!({"version": v.version, "sha256": v.sha256})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}

/// Marks a version as sent to the counterparty (the base a later counterparty turn is compared
/// against).
pub async fn mark_sent(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    version_id: i64,
) -> Result<Version, AppError> {
    let v = version(app, Some(user), contract_id, version_id).await?;
    if v.source == "counterparty" || v.source == "attachment" {
        return Err(AppError::Conflict(
            "Only our own drafts are sent to the counterparty.".into(),
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE contract_versions SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
        .bind(&now)
        .bind(version_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.version_sent",
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"version": v.version})),
        },
    )
    .await?;
    tx.commit().await?;
    version(app, Some(user), contract_id, version_id).await
}

/// The version a counterparty turn should be compared against: the latest version before it
/// that we sent (or, if none was marked sent, the latest of ours before it).
pub fn compare_base(all: &[Version], v: &Version) -> Option<i64> {
    let earlier = all
        .iter()
        .filter(|x| x.version < v.version && x.source != "attachment");
    let ours: Vec<&Version> = earlier.filter(|x| x.source != "counterparty").collect();
    ours.iter()
        .filter(|x| x.sent_at.is_some())
        .max_by_key(|x| x.version)
        .or_else(|| ours.iter().max_by_key(|x| x.version))
        .map(|x| x.id)
}

/// The status history, oldest first.
pub async fn history(app: &App, contract_id: i64) -> Result<Vec<StatusChange>, AppError> {
    Ok(sqlx::query_as(
        "SELECT h.from_status, h.to_status, h.note, h.at, u.name AS by_name FROM contract_status_history h LEFT JOIN users u ON u.id = h.by_id \
         WHERE h.contract_id = $1 ORDER BY h.id",
    )
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Adds a comment (on a version, if given).
pub async fn comment(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    version_id: Option<i64>,
    body: &str,
) -> Result<(), AppError> {
    get(app, Some(user), contract_id).await?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(AppError::field(
            "body",
            "Write a comment of 1 to 10,000 characters.",
        ));
    }
    if let Some(v) = version_id {
        version(app, Some(user), contract_id, v).await?;
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("INSERT INTO contract_comments (contract_id, version_id, body, created_at, author_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(contract_id)
        .bind(version_id)
        .bind(body)
        .bind(&now)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.comment",
            object_type: "contract",
            object_id: contract_id.to_string(),
            before: None,
            after: Some(json!({"version_id": version_id, "chars": body.chars().count()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Comments, oldest first.
pub async fn comments(app: &App, contract_id: i64) -> Result<Vec<Comment>, AppError> {
    Ok(sqlx::query_as(
        "SELECT cm.id, v.version, cm.body, cm.created_at, u.name AS author_name FROM contract_comments cm LEFT JOIN contract_versions v ON v.id = cm.version_id \
         LEFT JOIN users u ON u.id = cm.author_id WHERE cm.contract_id = $1 ORDER BY cm.id",
    )
    .bind(contract_id)
    .fetch_all(app.db.pool())
    .await?)
}
