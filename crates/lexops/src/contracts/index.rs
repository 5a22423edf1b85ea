//! The contracts' search index: tantivy, on local disk under `DATA_DIR/index/contracts`, built
//! from the database and kept from it.
//!
//! The database stays the record: `contract_text` (number, title, parties, law, the text of every
//! version) and the contract rows. The index answers the part of a search that visits every
//! match — the total and the status × type counts, and the page's ids in the list's order —
//! from its postings and fast fields; the page's rows are then read from the database by id
//! with the walls in SQL, and their snippets made from the stored text, so a row the index
//! still holds but the viewer may not see (a wall raised a moment ago, a contract gone) is never
//! shown.
//!
//! Kept up to date through `contract_search_queue` (migration 0020): triggers and
//! [`super::store::index`] queue a contract's id in the transaction that changes it; before
//! each search the rows queued since this index's place are applied (the contracts read again,
//! the documents replaced) and the index committed with its new place (see [`Place`]): each
//! index has its own place, so several processes keep an index each, and rows are only pruned
//! by age (a week). Walls are applied at query time: the matters walled off from the viewer are
//! read from the database for each search and excluded, so a change of a wall's members needs
//! no reindexing.
//!
//! One writer per data directory (tantivy takes a lock): until the index is open (the server
//! opens it at start), when another process holds it, or when it fails, searches go to the
//! database (the same results, slower). The index is rebuilt when it is new, of another schema
//! version, belongs to another database (a token in the commit payload and `settings`), is
//! ahead of the database's queue (a restored backup), has not caught up for six days, or holds
//! a different number of contracts than the database.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use tantivy::collector::sort_key::{SortByErasedType, SortByStaticFastValue};
use tantivy::collector::{Collector, FilterCollector, SegmentCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, RegexQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Score, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term,
};

use super::model::{Parties, Status};
use super::store::{Filter, Grid, SORTS};
use crate::platform::app::App;
use crate::platform::error::AppError;
use crate::platform::search;

/// Queue rows read, or contracts rebuilt, per commit (a rebuild of 100,000 is five commits).
const BATCH: i64 = 20_000;
/// Contracts read from the database at a time (their texts are held until added).
const LOAD: usize = 500;
/// The longest page the index orders (longer ones: the database).
const MAX_PAGE: i64 = 10_000;
/// The writer's indexing memory.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Bumped when the schema or the analysis changes: an index of another version is rebuilt.
const VERSION: &str = "2";
const TOKENIZER: &str = "lexops_en";

/// The statuses in text order (the list's "status" sort is the database's text order); a
/// document keeps the position as `status_n` for the counts.
const STATUS_TEXT_ORDER: [Status; 8] = [
    Status::Approval,
    Status::Draft,
    Status::Executed,
    Status::Expired,
    Status::InReview,
    Status::Negotiation,
    Status::Signature,
    Status::Terminated,
];

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    text: Field,
    status: Field,
    status_n: Field,
    type_id: Field,
    owner: Field,
    requester: Field,
    matter: Field,
    party: Field,
    expires: Field,
    updated: Field,
    number: Field,
    title: Field,
    party_sort: Field,
    value: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        text: b.add_text_field("text", text),
        status: b.add_text_field("status", STRING | FAST),
        status_n: b.add_u64_field("status_n", FAST),
        type_id: b.add_u64_field("type_id", FAST),
        owner: b.add_u64_field("owner", INDEXED),
        requester: b.add_u64_field("requester", INDEXED),
        matter: b.add_u64_field("matter", INDEXED),
        party: b.add_text_field("party", STRING),
        expires: b.add_text_field("expires", STRING | FAST),
        updated: b.add_text_field("updated", STRING | FAST),
        number: b.add_text_field("number", STRING | FAST),
        title: b.add_text_field("title", STRING | FAST),
        party_sort: b.add_text_field("party_sort", STRING | FAST),
        value: b.add_i64_field("value", FAST),
    };
    (b.build(), f)
}

/// Words as the search box reads them (runs of letters and digits), lower-cased, accents
/// folded, English stems (Snowball, as PostgreSQL's `english` configuration).
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The open index of one data directory.
pub struct ContractIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    /// One catch-up at a time (the others wait for it, then find nothing new).
    sync_lock: tokio::sync::Mutex<()>,
    /// The place in the queue as of the last catch-up (`None`: read the last commit's).
    cursor: Mutex<Option<Place>>,
    /// When this process last pruned the queue (seconds since 1970).
    pruned_at: std::sync::atomic::AtomicI64,
}

/// What the index answers for a search: the status × type counts, and the page's contract ids
/// in the list's order when the order is one the index holds (else `None`: the database reads
/// the page).
pub struct Answer {
    pub grid: Grid,
    pub page: Option<Vec<i64>>,
}

/// The index of `app`'s data directory, opened (and rebuilt or caught up) on first use; `None`
/// when it cannot be used — searches then go to the database.
pub async fn get(app: &App) -> Option<Arc<ContractIndex>> {
    let slot = app.contract_index.clone();
    match slot.get_or_try_init(|| open(app)).await {
        Ok(ix) => Some(ix.clone()),
        Err(e) => {
            // Another process holds it (the server, while a command runs), or it failed.
            tracing::info!(error = ?e, "contract search index unavailable; searching the database");
            None
        }
    }
}

/// When the last background opening failed (seconds since 1970): the next waits a minute.
static OPEN_FAILED_AT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn open_in_background(app: &App) {
    use std::sync::atomic::Ordering;
    if now_secs() - OPEN_FAILED_AT.load(Ordering::Relaxed) < 60 {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        if get(&app).await.is_none() {
            OPEN_FAILED_AT.store(now_secs(), Ordering::Relaxed);
        }
    });
}

/// Builds the index of `app`'s data directory again from the database; the number of contracts
/// it holds after. Refused while another process holds the index.
pub async fn rebuild(app: &App) -> Result<u64, AppError> {
    let ix = app
        .contract_index
        .get_or_try_init(|| open(app))
        .await?
        .clone();
    let token = database_token(app).await?;
    ix.rebuild(app, &token).await?;
    Ok(ix.reader.searcher().num_docs())
}

async fn open(app: &App) -> Result<Arc<ContractIndex>, AppError> {
    let dir = app.settings.data_dir.join("index").join("contracts");
    let token = database_token(app).await?;
    let shown = dir.display().to_string();
    let ix = Arc::new(
        tokio::task::spawn_blocking(move || open_dir(&dir))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("index: {e}")))?
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => AppError::Conflict(format!(
                    "the contract search index in {shown} is in use by another lexops process (stop it first)"
                )),
                e => index_error(e),
            })?,
    );
    let place = ix.place()?;
    let fresh = match &place {
        Some(p) => {
            p.version == VERSION
                && p.database == token
                && now_secs() - p.at < STALE_AFTER_SECS
                && !ContractIndex::ahead_of_database(app, p.cursor).await?
        }
        None => false,
    };
    if !fresh {
        ix.rebuild(app, &token).await?;
    } else {
        // A copy of another state of this database (a restored backup): counts differ. A
        // contract added meanwhile can differ too, so a difference is checked twice.
        let mut agrees = false;
        for _ in 0..2 {
            ix.catch_up(app).await?;
            let contracts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts")
                .fetch_one(app.db.pool())
                .await?;
            if ix.reader.searcher().num_docs() as i64 == contracts {
                agrees = true;
                break;
            }
        }
        if !agrees {
            ix.rebuild(app, &token).await?;
        }
    }
    Ok(ix)
}

/// Where an index stands, kept in its commit's payload: the schema version, the database it
/// belongs to, its place in the queue, and when it last caught up (seconds since 1970).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Place {
    version: String,
    database: String,
    cursor: i64,
    at: i64,
}

/// Queue rows live a week; an index that has not caught up for six days is rebuilt.
const STALE_AFTER_SECS: i64 = 6 * 24 * 3600;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn open_dir(dir: &std::path::Path) -> tantivy::Result<ContractIndex> {
    let (schema, fields) = schema();
    std::fs::create_dir_all(dir)?;
    let open = |dir: &std::path::Path| -> tantivy::Result<Index> {
        Index::open_or_create(MmapDirectory::open(dir)?, schema.clone())
    };
    let index = match open(dir) {
        Ok(i) => i,
        // Another schema (an older lexops): start again; the index is rebuilt from the database.
        Err(tantivy::TantivyError::SchemaError(_)) => {
            std::fs::remove_dir_all(dir)?;
            std::fs::create_dir_all(dir)?;
            open(dir)?
        }
        Err(e) => return Err(e),
    };
    index.tokenizers().register(TOKENIZER, analyzer());
    let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(ContractIndex {
        index,
        reader,
        writer: Mutex::new(writer),
        fields,
        sync_lock: tokio::sync::Mutex::new(()),
        pruned_at: Default::default(),
        cursor: Mutex::new(None),
    })
}

/// This database's identity for the index (made once, kept in `settings`).
async fn database_token(app: &App) -> Result<String, AppError> {
    if let Some(t) = app.db.setting("contract_index_token").await? {
        return Ok(t);
    }
    let token = crate::platform::auth::random_hex(16);
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('contract_index_token', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&token)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(app
        .db
        .setting("contract_index_token")
        .await?
        .unwrap_or(token))
}

fn index_error(e: tantivy::TantivyError) -> AppError {
    AppError::Internal(anyhow::anyhow!("contract search index: {e}"))
}

/// A contract as the index holds it.
struct Doc {
    id: i64,
    status: String,
    type_id: i64,
    owner: Option<i64>,
    requester: Option<i64>,
    matter: Option<i64>,
    expires: Option<String>,
    updated: String,
    number: String,
    title: String,
    counterparty: String,
    value: Option<i64>,
    meta: String,
    body: String,
    parties: Vec<String>,
}

type DocRow = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The contracts matching `condition` (SQL over `c`, ending with any ORDER BY and LIMIT) as
/// documents.
async fn load(app: &App, condition: &str) -> Result<Vec<Doc>, AppError> {
    let rows: Vec<DocRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.status, c.type_id, c.owner_id, c.requester_id, c.matter_id, c.expires_on, c.updated_at, \
         c.number, c.title, c.counterparty, c.value_minor, x.meta, x.body \
         FROM contracts c LEFT JOIN contract_text x ON x.rowid = c.id \
         WHERE {condition}"
    )))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let list = crate::platform::db::id_list(rows.iter().map(|r| r.0));
    let parties: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT contract_id, name_key FROM contract_parties WHERE contract_id IN ({list})"
    )))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    let mut by_id: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, key) in parties {
        by_id.entry(id).or_default().push(key);
    }
    Ok(rows
        .into_iter()
        .map(|r| Doc {
            id: r.0,
            status: r.1,
            type_id: r.2,
            owner: r.3,
            requester: r.4,
            matter: r.5,
            expires: r.6.filter(|e| !e.is_empty()),
            updated: r.7,
            number: r.8,
            title: r.9,
            counterparty: r.10,
            value: r.11,
            meta: r.12.unwrap_or_default(),
            body: r.13.unwrap_or_default(),
            parties: by_id.remove(&r.0).unwrap_or_default(),
        })
        .collect())
}

impl ContractIndex {
    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.id as u64);
        doc.add_text(f.text, &d.meta);
        doc.add_text(f.text, &d.body);
        doc.add_text(f.status, &d.status);
        let n = Status::parse(&d.status)
            .and_then(|s| STATUS_TEXT_ORDER.iter().position(|x| *x == s))
            .unwrap_or(0);
        doc.add_u64(f.status_n, n as u64);
        doc.add_u64(f.type_id, d.type_id as u64);
        doc.add_u64(f.owner, d.owner.unwrap_or(0) as u64);
        doc.add_u64(f.requester, d.requester.unwrap_or(0) as u64);
        doc.add_u64(f.matter, d.matter.unwrap_or(0) as u64);
        for p in &d.parties {
            doc.add_text(f.party, p);
        }
        // A missing expiry or value sorts as the smallest (as SQLite's NULL): "" and i64::MIN.
        doc.add_text(f.expires, d.expires.as_deref().unwrap_or(""));
        doc.add_text(f.updated, &d.updated);
        doc.add_text(f.number, &d.number);
        // The list sorts these by LOWER(...).
        doc.add_text(f.title, d.title.to_lowercase());
        doc.add_text(f.party_sort, d.counterparty.to_lowercase());
        doc.add_i64(f.value, d.value.unwrap_or(i64::MIN));
        doc
    }

    fn place(&self) -> Result<Option<Place>, AppError> {
        let payload = self.index.load_metas().map_err(index_error)?.payload;
        Ok(payload.and_then(|p| serde_json::from_str(&p).ok()))
    }

    /// Replaces the documents of `ids` by `docs` (those of `ids` without a doc are gone; with
    /// `all`, every document first) and, with a place, commits with it. A failure rolls the
    /// writer back to the last commit.
    fn apply(
        &self,
        all: bool,
        ids: &[i64],
        docs: &[Doc],
        place: Option<&Place>,
    ) -> tantivy::Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let run = |w: &mut IndexWriter<TantivyDocument>| -> tantivy::Result<bool> {
            if all {
                w.delete_all_documents()?;
            }
            for id in ids {
                w.delete_term(Term::from_field_u64(self.fields.id, *id as u64));
            }
            for d in docs {
                w.add_document(self.document(d))?;
            }
            let Some(place) = place else {
                return Ok(false);
            };
            let mut commit = w.prepare_commit()?;
            commit.set_payload(&serde_json::to_string(place).unwrap_or_default());
            commit.commit()?;
            Ok(true)
        };
        match run(&mut w) {
            Ok(committed) => {
                drop(w);
                if committed {
                    self.reader.reload()?;
                }
                Ok(())
            }
            Err(e) => {
                let _ = w.rollback();
                Err(e)
            }
        }
    }

    async fn apply_async(
        self: &Arc<Self>,
        all: bool,
        ids: Vec<i64>,
        docs: Vec<Doc>,
        place: Option<Place>,
    ) -> Result<(), AppError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.apply(all, &ids, &docs, place.as_ref()))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("index: {e}")))?
            .map_err(index_error)
    }

    /// Reads the contracts `ids` in slices of [`LOAD`] and replaces their documents; commits
    /// with `place` after the last.
    async fn replace(
        self: &Arc<Self>,
        app: &App,
        ids: Vec<i64>,
        place: Place,
    ) -> Result<(), AppError> {
        let slices: Vec<Vec<i64>> = ids.chunks(LOAD).map(<[i64]>::to_vec).collect();
        let n = slices.len();
        for (i, slice) in slices.into_iter().enumerate() {
            let list = crate::platform::db::id_list(slice.iter().copied());
            let docs = load(app, &format!("c.id IN ({list})")).await?;
            let last = i + 1 == n;
            self.apply_async(false, slice, docs, last.then(|| place.clone()))
                .await?;
        }
        if n == 0 {
            self.apply_async(false, vec![], vec![], Some(place)).await?;
        }
        Ok(())
    }

    /// The place in the queue from which every later change will be read again: SQLite, the
    /// last seq (writes are serial, so seqs commit in order); PostgreSQL, the oldest transaction
    /// still running (`pg_snapshot_xmin`): rows of transactions from there on are read again
    /// next time, so one that commits late is not skipped.
    async fn horizon(app: &App) -> Result<i64, AppError> {
        Ok(match app.db.backend() {
            crate::platform::db::Backend::Sqlite => {
                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM contract_search_queue")
                    .fetch_one(app.db.pool())
                    .await?
            }
            crate::platform::db::Backend::Postgres => {
                sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                    .fetch_one(app.db.pool())
                    .await?
            }
        })
    }

    /// Whether a place is ahead of what the database has queued: the database is a restored
    /// copy (its queue numbers, or PostgreSQL's transaction ids, start again below).
    async fn ahead_of_database(app: &App, cursor: i64) -> Result<bool, AppError> {
        let top: i64 = match app.db.backend() {
            crate::platform::db::Backend::Sqlite => sqlx::query_scalar(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contract_search_queue'), 0)",
            )
            .fetch_one(app.db.pool())
            .await?,
            crate::platform::db::Backend::Postgres => sqlx::query_scalar(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
            )
            .fetch_one(app.db.pool())
            .await?,
        };
        Ok(cursor > top)
    }

    /// Builds the index again from every contract, then applies what changed meanwhile.
    async fn rebuild(self: &Arc<Self>, app: &App, token: &str) -> Result<(), AppError> {
        tracing::info!("building the contract search index from the database");
        let _one = self.sync_lock.lock().await;
        let cursor = Self::horizon(app).await?;
        let mut after = 0i64;
        let mut first = true;
        let mut since_commit = 0i64;
        loop {
            let docs = load(app, &format!("c.id > {after} ORDER BY c.id LIMIT {LOAD}")).await?;
            let done = docs.len() < LOAD;
            after = docs.last().map(|d| d.id).unwrap_or(after);
            since_commit += docs.len() as i64;
            let place = (done || since_commit >= BATCH).then(|| Place {
                version: VERSION.into(),
                database: token.into(),
                // Until the last slice is in, a crash leaves an index that rebuilds on opening.
                cursor: if done { cursor } else { -1 },
                at: if done { now_secs() } else { 0 },
            });
            if place.is_some() {
                since_commit = 0;
            }
            let result = self.apply_async(first, vec![], docs, place).await;
            if result.is_err() {
                *self.cursor.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            result?;
            first = false;
            if done {
                break;
            }
        }
        *self.cursor.lock().unwrap_or_else(|p| p.into_inner()) = None;
        drop(_one);
        self.catch_up(app).await
    }

    /// Applies the contracts queued since this index's place, then prunes week-old rows. The
    /// place is kept in memory and written with each commit (and at least daily): after a
    /// restart the index reads again from its last commit, which changes nothing twice.
    pub async fn catch_up(self: &Arc<Self>, app: &App) -> Result<(), AppError> {
        let _one = self.sync_lock.lock().await;
        let mut place = match self.cursor.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(p) => p,
            None => self.place()?.ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "the contract search index has no place in the queue"
                ))
            })?,
        };
        if now_secs() - place.at >= STALE_AFTER_SECS {
            // Queue rows it has not read may be pruned by now: build it again.
            let token = place.database.clone();
            drop(_one);
            return Box::pin(self.rebuild(app, &token)).await;
        }
        let result = self.catch_up_from(app, &mut place).await;
        // After a failure the place is read again from the last commit (nothing is skipped).
        *self.cursor.lock().unwrap_or_else(|p| p.into_inner()) = result.is_ok().then_some(place);
        result?;
        self.prune(app).await
    }

    async fn catch_up_from(self: &Arc<Self>, app: &App, place: &mut Place) -> Result<(), AppError> {
        let postgres = app.db.backend() == crate::platform::db::Backend::Postgres;
        let next = if postgres {
            Self::horizon(app).await?
        } else {
            0
        };
        let mut after_seq = if postgres { 0 } else { place.cursor };
        let mut applied = false;
        loop {
            let queued: Vec<(i64, i64)> = if postgres {
                sqlx::query_as(
                    "SELECT seq, contract_id FROM contract_search_queue WHERE txid >= ($1::bigint)::text::xid8 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(place.cursor)
                .bind(after_seq)
                .bind(BATCH)
                .fetch_all(app.db.pool())
                .await?
            } else {
                sqlx::query_as(
                    "SELECT seq, contract_id FROM contract_search_queue WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(BATCH)
                .fetch_all(app.db.pool())
                .await?
            };
            let Some(last) = queued.last().map(|q| q.0) else {
                break;
            };
            after_seq = last;
            let done = (queued.len() as i64) < BATCH;
            let mut ids: Vec<i64> = queued.iter().map(|q| q.1).collect();
            ids.sort_unstable();
            ids.dedup();
            // SQLite: the last seq applied. PostgreSQL: the horizon once everything is read.
            let mut new_place = place.clone();
            if !postgres {
                new_place.cursor = last;
            } else if done {
                new_place.cursor = next;
            }
            new_place.at = now_secs();
            self.replace(app, ids, new_place.clone()).await?;
            *place = new_place;
            applied = true;
            if done {
                break;
            }
        }
        if !applied {
            if postgres {
                place.cursor = next;
            }
            if now_secs() - place.at > 24 * 3600 {
                let mut new_place = place.clone();
                new_place.at = now_secs();
                self.apply_async(false, vec![], vec![], Some(new_place.clone()))
                    .await?;
                *place = new_place;
            }
        }
        Ok(())
    }

    /// Deletes queue rows older than a week, at most once an hour per process.
    async fn prune(&self, app: &App) -> Result<(), AppError> {
        let now = now_secs();
        let last = self.pruned_at.load(std::sync::atomic::Ordering::Relaxed);
        if now - last < 3600 {
            return Ok(());
        }
        self.pruned_at
            .store(now, std::sync::atomic::Ordering::Relaxed);
        let sql = match app.db.backend() {
            crate::platform::db::Backend::Sqlite => {
                "DELETE FROM contract_search_queue WHERE queued_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')"
            }
            crate::platform::db::Backend::Postgres => {
                "DELETE FROM contract_search_queue WHERE queued_at < now() - interval '7 days'"
            }
        };
        sqlx::query(sql).execute(app.db.pool()).await?;
        Ok(())
    }

    /// The analysed tokens of one word of the search box (none when it is too long).
    fn tokens(&self, analyzer: &mut TextAnalyzer, word: &str) -> Vec<String> {
        let mut out = vec![];
        let mut ts = analyzer.token_stream(word);
        while ts.advance() {
            out.push(ts.token().text.clone());
        }
        out
    }

    /// The search box as a query over the text: the same reading as the database's
    /// ([`search::terms`]): every term must be there, `-term` must not, `OR` accepts either side
    /// (AND binds first), `word*` is a prefix, several words are a phrase.
    fn text_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let field = self.fields.text;
        let mut analyzer = self.index.tokenizer_for_field(field).ok()?;
        let mut groups: Vec<Vec<(Occur, Box<dyn Query>)>> = vec![];
        for t in search::terms(q) {
            let mut toks: Vec<String> = vec![];
            for w in &t.words {
                toks.extend(self.tokens(&mut analyzer, w));
            }
            let Some(last) = toks.last().cloned() else {
                continue;
            };
            let term = |s: &str| Term::from_field_text(field, s);
            let query: Box<dyn Query> = if t.prefix && toks.len() == 1 {
                // The prefix as typed (lower-cased) or as its stem: "liabilit*" finds the stem
                // "liabil" of "liability".
                let typed = t.words[0].to_lowercase();
                let pattern = if typed == last || !typed.is_ascii() {
                    format!("{}.*", regex_escape(&last))
                } else {
                    format!("({}|{}).*", regex_escape(&typed), regex_escape(&last))
                };
                Box::new(RegexQuery::from_pattern(&pattern, field).ok()?)
            } else if t.prefix {
                let mut pq = PhrasePrefixQuery::new(toks.iter().map(|s| term(s)).collect());
                pq.set_max_expansions(200);
                Box::new(pq)
            } else if toks.len() == 1 {
                Box::new(TermQuery::new(term(&last), IndexRecordOption::Basic))
            } else {
                Box::new(PhraseQuery::new(toks.iter().map(|s| term(s)).collect()))
            };
            if t.or_before || groups.is_empty() {
                groups.push(vec![]);
            }
            let occur = if t.negate {
                Occur::MustNot
            } else {
                Occur::Must
            };
            groups.last_mut()?.push((occur, query));
        }
        groups.retain(|g| g.iter().any(|(o, _)| *o == Occur::Must));
        match groups.len() {
            0 => None,
            1 => Some(Box::new(BooleanQuery::new(groups.pop()?))),
            _ => Some(Box::new(BooleanQuery::new(
                groups
                    .into_iter()
                    .map(|g| {
                        (
                            Occur::Should,
                            Box::new(BooleanQuery::new(g)) as Box<dyn Query>,
                        )
                    })
                    .collect(),
            ))),
        }
    }

    /// Counts and (when the order allows) a page of the contracts matching `f`, excluding the
    /// walled-off matters `hidden`. `None` when the search box holds no word.
    fn answer(
        &self,
        f: &Filter,
        type_id: Option<u64>,
        hidden: &[i64],
        order_by: &str,
        limit: i64,
        offset: i64,
    ) -> tantivy::Result<Option<(HashMap<(u64, u64), i64>, Option<Vec<i64>>)>> {
        let fl = &self.fields;
        // Only searches with words come here (lists without words are the database's).
        let Some(text) = self.text_query(&f.q) else {
            return Ok(None);
        };
        let u64_term = |field: Field, v: i64| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_u64(field, v as u64),
                IndexRecordOption::Basic,
            ))
        };
        let str_term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        // All filters but status and type: the counts.
        let mut common: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
        if let Some(o) = f.owner_id.filter(|o| *o != 0) {
            common.push((Occur::Must, u64_term(fl.owner, o)));
        }
        if let Some(r) = f.requester_id.filter(|r| *r != 0) {
            common.push((Occur::Must, u64_term(fl.requester, r)));
        }
        if !f.expires_by.is_empty() {
            common.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Excluded(Term::from_field_text(fl.expires, "")),
                    Bound::Included(Term::from_field_text(fl.expires, &f.expires_by)),
                )),
            ));
        }
        let party = Parties::key(&f.counterparty);
        if !party.is_empty() {
            common.push((Occur::Must, str_term(fl.party, &party)));
        }
        if !hidden.is_empty() {
            common.push((
                Occur::MustNot,
                Box::new(TermSetQuery::new(
                    hidden
                        .iter()
                        .map(|m| Term::from_field_u64(fl.matter, *m as u64)),
                )),
            ));
        }
        let searcher = self.reader.searcher();
        let query = BooleanQuery::new(common);
        // A long page (a CSV export) is read by the database: the index's top-n keeps a heap
        // of its size.
        let Some((field, desc)) =
            sort_field(order_by).filter(|_| limit > 0 && limit + offset.max(0) <= MAX_PAGE)
        else {
            return Ok(Some((searcher.search(&query, &GridCollector)?, None)));
        };
        // One pass over the matches: the counts (all statuses and types) and the page (the
        // chosen status and type, read from the fast fields).
        // Exactly as the database compares it (an unknown status matches nothing).
        let status = (!f.status.is_empty()).then(|| {
            STATUS_TEXT_ORDER
                .iter()
                .position(|x| x.as_str() == f.status)
                .map_or(u64::MAX, |p| p as u64)
        });
        let order = if desc { Order::Desc } else { Order::Asc };
        let top = TopDocs::with_limit(limit as usize)
            .and_offset(offset.max(0) as usize)
            .order_by((
                (SortByErasedType::for_field(field), order),
                (SortByStaticFastValue::<u64>::for_field("id"), Order::Desc),
            ));
        let page = FilterCollector::new(
            "status_n".to_string(),
            move |s: u64| status.is_none_or(|w| w == s),
            FilterCollector::new(
                "type_id".to_string(),
                move |t: u64| type_id.is_none_or(|w| w == t),
                top,
            ),
        );
        let (counts, found) = searcher.search(&query, &(GridCollector, page))?;
        Ok(Some((
            counts,
            Some(
                found
                    .into_iter()
                    .filter_map(|((_, id), _)| id.map(|i| i as i64))
                    .collect(),
            ),
        )))
    }
}

/// The fast field and direction of a list order (see [`SORTS`]); `None` for an order the index
/// does not hold.
fn sort_field(order_by: &str) -> Option<(&'static str, bool)> {
    let (expr, dir) = order_by.trim().rsplit_once(' ')?;
    let desc = match dir {
        "DESC" => true,
        "ASC" => false,
        _ => return None,
    };
    let key = SORTS.iter().find(|(_, e)| *e == expr)?.0;
    let field = match key {
        "updated" => "updated",
        "number" => "number",
        "title" => "title",
        "counterparty" => "party_sort",
        "status" => "status",
        "value" => "value",
        "expires" => "expires",
        _ => return None,
    };
    Some((field, desc))
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Counts the matches by (status position, type id) in one pass over the fast fields.
struct GridCollector;

struct GridSegment {
    status: tantivy::columnar::Column<u64>,
    kind: tantivy::columnar::Column<u64>,
    counts: HashMap<(u64, u64), i64>,
}

impl Collector for GridCollector {
    type Fruit = HashMap<(u64, u64), i64>;
    type Child = GridSegment;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<GridSegment> {
        let ff = reader.fast_fields();
        Ok(GridSegment {
            status: ff.u64("status_n")?,
            kind: ff.u64("type_id")?,
            counts: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all = HashMap::new();
        for f in fruits {
            for (k, n) in f {
                *all.entry(k).or_insert(0) += n;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for GridSegment {
    type Fruit = HashMap<(u64, u64), i64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let s = self.status.first(doc).unwrap_or(0);
        let t = self.kind.first(doc).unwrap_or(0);
        *self.counts.entry((s, t)).or_insert(0) += 1;
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
    }
}

/// A search through the index: the status × type counts of the matches, and the page's ids
/// when the order is one the index holds. `None` when the index cannot answer (not available,
/// or failing: the caller searches the database).
pub async fn search(
    app: &App,
    viewer: Option<&crate::platform::access::CurrentUser>,
    f: &Filter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<Option<Answer>, AppError> {
    // Only an open index answers: the first opening (a build, at 100,000 contracts about 20 s)
    // runs in the background (the server starts it at start) while the database answers.
    let Some(ix) = app.contract_index.get().cloned() else {
        open_in_background(app);
        return Ok(None);
    };
    if let Err(e) = ix.catch_up(app).await {
        tracing::warn!(error = ?e, "contract search index could not catch up; searching the database");
        return Ok(None);
    }
    let hidden: Vec<i64> = match viewer {
        None => vec![],
        Some(u) => sqlx::query_scalar(
            "SELECT wo.object_id FROM walled_objects wo WHERE wo.object_type = 'matter' AND NOT EXISTS \
             (SELECT 1 FROM object_walls ow WHERE ow.object_type = wo.object_type AND ow.object_id = wo.object_id AND ow.user_id = $1)",
        )
        .bind(u.id)
        .fetch_all(app.db.pool())
        .await?,
    };
    let types: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, code, name FROM contract_types")
            .fetch_all(app.db.pool())
            .await?;
    // The type filter by its id (an unknown code matches nothing).
    let type_id = (!f.type_code.is_empty()).then(|| {
        types
            .iter()
            .find(|t| t.1 == f.type_code)
            .map_or(u64::MAX, |t| t.0 as u64)
    });
    let (me, filter, order) = (ix.clone(), f.clone(), order_by.to_string());
    let answer = tokio::task::spawn_blocking(move || {
        me.answer(&filter, type_id, &hidden, &order, limit, offset)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("index: {e}")))?;
    let (counts, page) = match answer {
        Ok(Some(a)) => a,
        Ok(None) => {
            return Ok(Some(Answer {
                grid: Grid::default(),
                page: Some(vec![]),
            }));
        }
        Err(e) => {
            tracing::warn!(error = %e, "contract search index failed; searching the database");
            return Ok(None);
        }
    };
    let mut rows = vec![];
    for ((s, t), n) in counts {
        let Some(status) = STATUS_TEXT_ORDER.get(s as usize) else {
            continue;
        };
        let Some((_, code, name)) = types.iter().find(|x| x.0 as u64 == t) else {
            continue;
        };
        rows.push((status.as_str().to_string(), code.clone(), name.clone(), n));
    }
    Ok(Some(Answer {
        grid: Grid(rows),
        page,
    }))
}
