//! LEDES invoice intake: a file (1998B, 98BI or XML) is validated by the `ledes` crate; any
//! structural or arithmetic error rejects the whole file with the LEDES report and nothing is
//! stored. Accepted invoices are matched to the vendor by `LAW_FIRM_ID` and to the matter by
//! the vendor's assignment (`LAW_FIRM_MATTER_ID` or `CLIENT_MATTER_ID`); an unknown or closed
//! matter, a foreign firm id or a duplicate invoice number rejects the file too. A corrected
//! resubmission replaces an invoice that was rejected or returned. Every invoice is judged by
//! the billing guidelines (`context` loads what the engine needs once per firm and matter), and
//! everything of one file — invoices, lines, flags, approval steps, events, audit — is written
//! in one transaction with multi-row statements sent in a few `db::Batch`es, so a file of many
//! invoices costs a few round trips to the database rather than a few dozen per invoice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::json;

use super::context::{FirmContext, MatterContext, engine_invoice, give_back};
use super::money::to_e4;
use super::vendors::vendor_scope;
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::{Backend, Batch, Tx};
use crate::platform::error::AppError;

/// One reason a file was rejected, as the firm's billing clerk needs it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeProblem {
    pub file: String,
    /// Line of the file (pipe formats).
    pub line: Option<u64>,
    pub field: Option<String>,
    pub invoice: Option<String>,
    pub line_item: Option<String>,
    /// The LEDES standard error code, where one applies.
    pub code: Option<String>,
    /// error or warning.
    pub severity: String,
    pub message: String,
}

impl IntakeProblem {
    fn error(
        file: &str,
        invoice: Option<&str>,
        field: Option<&str>,
        message: String,
    ) -> IntakeProblem {
        IntakeProblem {
            file: file.to_string(),
            line: None,
            field: field.map(str::to_string),
            invoice: invoice.map(str::to_string),
            line_item: None,
            code: None,
            severity: "error".into(),
            message,
        }
    }

    /// `file:line: error [field F, invoice I, line L] message (LEDES code C)`.
    pub fn render(&self) -> String {
        let mut ctx = vec![];
        if let Some(f) = &self.field {
            ctx.push(format!("field {f}"));
        }
        if let Some(i) = &self.invoice {
            ctx.push(format!("invoice {i}"));
        }
        if let Some(l) = &self.line_item {
            ctx.push(format!("line {l}"));
        }
        let loc = match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        };
        let ctx = if ctx.is_empty() {
            String::new()
        } else {
            format!(" [{}]", ctx.join(", "))
        };
        let code = self
            .code
            .as_ref()
            .map(|c| format!(" (LEDES code {c})"))
            .unwrap_or_default();
        format!("{loc}: {}{ctx} {}{code}", self.severity, self.message)
    }
}

/// What happened to a submitted file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeOutcome {
    pub file: String,
    /// True when the file was accepted (its invoices are stored).
    pub accepted: bool,
    /// Ids of the stored invoices.
    pub invoice_ids: Vec<i64>,
    /// Invoices that replaced an earlier rejected or returned version.
    pub replaced: usize,
    pub line_items: usize,
    /// Errors (rejection) and warnings.
    pub problems: Vec<IntakeProblem>,
}

struct Matched {
    vendor_id: i64,
    matter_id: i64,
    replaces: Option<i64>,
}

/// Reads, checks and stores a LEDES file submitted by `user` (a vendor through the portal or
/// API, or legal ops). The file is rejected whole on any error.
pub async fn submit(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<IntakeOutcome, AppError> {
    let mut pipeline = Pipeline::new(app, user);
    let mut out = pipeline.push(file, bytes.to_vec(), None).await?;
    out.extend(pipeline.finish().await?);
    out.pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("{file}: the intake gave no outcome")))
}

/// The LEDES report intake works from (invoices kept). CPU-bound: a caller reading many files
/// runs it on a thread of its own, ahead of the intake, and hands it to [`Pipeline::push`].
pub fn validate(bytes: &[u8]) -> ledes::Report {
    ledes::validate(
        bytes,
        &ledes::ValidateOptions {
            keep_invoices: true,
            ..Default::default()
        },
    )
}

async fn validate_off_thread(bytes: &[u8]) -> Result<ledes::Report, AppError> {
    let owned = bytes.to_vec();
    Ok(tokio::task::spawn_blocking(move || validate(&owned))
        .await
        .map_err(anyhow::Error::from)?)
}

/// Imports LEDES files in order (`lexops import invoices`, the benchmark): they are read and
/// checked on a thread of their own, ahead of the [`Pipeline`]; `each` sees every outcome, in
/// file order, as soon as it is committed or rejected. A file that cannot be read stops the
/// import after the files before it are finished.
pub async fn import_files(
    app: &App,
    user: &CurrentUser,
    paths: Vec<std::path::PathBuf>,
    mut each: impl FnMut(&IntakeOutcome),
) -> Result<Vec<IntakeOutcome>, AppError> {
    let (send, mut read) = tokio::sync::mpsc::channel(1);
    let reader = std::thread::spawn(move || {
        for f in paths {
            let item = std::fs::read(&f)
                .map_err(|e| AppError::BadRequest(format!("cannot read {}: {e}", f.display())))
                .map(|bytes| {
                    let report = validate(&bytes);
                    (f.display().to_string(), bytes, report)
                });
            if send.blocking_send(item).is_err() {
                return;
            }
        }
    });
    let mut pipeline = Pipeline::new(app, user);
    let mut outcomes = vec![];
    let mut unreadable = None;
    loop {
        let (done, last) = match read.recv().await {
            Some(Ok((name, bytes, report))) => {
                (pipeline.push(&name, bytes, Some(report)).await?, false)
            }
            Some(Err(e)) => {
                unreadable = Some(e);
                (pipeline.flush().await?, true)
            }
            None => (pipeline.flush().await?, true),
        };
        for o in done {
            each(&o);
            outcomes.push(o);
        }
        if last {
            break;
        }
    }
    drop(read);
    let _ = reader.join();
    match unreadable {
        Some(e) => Err(e),
        None => Ok(outcomes),
    }
}

/// Files submitted one after another (the CLI import, an upload of several files, the demo and
/// the benchmark). Each file is accepted or rejected whole. While files are being written the
/// next is matched and judged (up to [`in_flight`] judged files wait for or are in their write,
/// each written by a task that takes the transaction from the one before), and files that share
/// no firm, matter or bytes are written in one transaction (up to [`GROUP_LINES`] line items); a
/// file that shares one with them waits until they are committed, so that it is judged against
/// what they stored (duplicates, daily hours, budgets). Outcomes come back in file order, once
/// committed. A file whose firms or matters gained or changed invoices between its judgement and
/// its write (another process's intake, a reviewer's decision) is judged again; if writing a
/// file fails, the files that shared its transaction are written again without it.
pub struct Pipeline {
    app: App,
    user: CurrentUser,
    /// The files handed to their writes, oldest first.
    in_flight: VecDeque<InFlight>,
    /// The open transaction (between files, when none is in flight) and what it holds, not yet
    /// committed.
    tx: Option<Tx>,
    members: Vec<Member>,
    outcomes: Vec<IntakeOutcome>,
    lines: usize,
    /// Line items a transaction holds before it is committed ([`GROUP_LINES`] unless set).
    group_lines: usize,
    /// Each write waits for a permit of this first (see [`Pipeline::hold_writes`]).
    gate: Option<Arc<tokio::sync::Semaphore>>,
}

/// Line items written in one transaction before it is committed (bounds how long other writers
/// wait for it).
pub const GROUP_LINES: usize = 50_000;

/// Judged files handed to their writes at most at once. On SQLite two: the judging of the next
/// file waits for a write only when the writes fall two files behind (a small firm's file judged
/// while a large one is written no longer leaves the writer idle afterwards; the 506k-line import
/// −11 %). On PostgreSQL one: its writes are round trips to a server on the same cores, and the
/// judging running further ahead slowed them (import +4–7 %, measured alternated).
fn in_flight(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 2,
        Backend::Postgres => 1,
    }
}

struct Member {
    file: String,
    bytes: Vec<u8>,
    vendors: Vec<i64>,
    matters: Vec<i64>,
    sha: String,
    lines: usize,
}

struct InFlight {
    task: tokio::task::JoinHandle<Result<(Held, Stored), AppError>>,
    member: Member,
    /// The write commits its transaction (it fills the group).
    commit: bool,
    /// Where the transaction goes when the write ends.
    handoff: Arc<Mutex<Handoff>>,
}

/// Where a write's transaction goes when it ends: back to the pipeline, or to the next file's
/// write if one was handed over before it ended.
enum Handoff {
    Open,
    /// The next write waits for the transaction (`None`: committed, begin a new one).
    Next(tokio::sync::oneshot::Sender<Option<Tx>>),
    Closed,
}

/// What a write did with its transaction.
enum Held {
    /// Given back to the pipeline.
    Kept(Tx),
    /// Given to the next file's write.
    HandedOn,
    /// Committed (the group was full).
    Committed,
    /// None had come: the write before failed or was judged again.
    None,
}

/// Where a write takes its transaction from.
enum TxSource {
    Ready(Tx),
    After(tokio::sync::oneshot::Receiver<Option<Tx>>),
}

enum Stored {
    Done(IntakeOutcome),
    /// What the judgement read changed before the write: the file is judged again.
    Stale,
    /// Not written: the file before it was not (it is judged again).
    Skipped,
}

impl Pipeline {
    pub fn new(app: &App, user: &CurrentUser) -> Pipeline {
        Pipeline {
            app: app.clone(),
            user: user.clone(),
            in_flight: VecDeque::new(),
            tx: None,
            members: vec![],
            outcomes: vec![],
            lines: 0,
            group_lines: GROUP_LINES,
            gate: None,
        }
    }

    /// Makes each file's write wait, once judged, for a permit of `gate` (the stories hold
    /// writes back to change what a judgement read before it is written).
    pub fn hold_writes(mut self, gate: Arc<tokio::sync::Semaphore>) -> Pipeline {
        self.gate = Some(gate);
        self
    }

    /// Commits a transaction once it holds `lines` line items (at least one file each).
    pub fn group_lines(mut self, lines: usize) -> Pipeline {
        self.group_lines = lines.max(1);
        self
    }

    /// Line items of the group the next file would join: those in flight since the last one
    /// that commits, plus the settled members' unless one in flight commits them.
    fn open_lines(&self) -> usize {
        match self.in_flight.iter().rposition(|f| f.commit) {
            Some(k) => self
                .in_flight
                .iter()
                .skip(k + 1)
                .map(|f| f.member.lines)
                .sum(),
            None => self.lines + self.in_flight.iter().map(|f| f.member.lines).sum::<usize>(),
        }
    }

    /// Submits the next file (`report`: its [`validate`] report if the caller made it); returns
    /// the outcomes now committed or rejected, in file order (this file's may come with a later
    /// call or [`Pipeline::finish`]).
    pub async fn push(
        &mut self,
        file: &str,
        bytes: Vec<u8>,
        report: Option<ledes::Report>,
    ) -> Result<Vec<IntakeOutcome>, AppError> {
        let report = match report {
            Some(r) => r,
            None => validate_off_thread(&bytes).await?,
        };
        let mut out = vec![];
        let resolved = match resolve(&self.app, &self.user, file, &bytes, report).await? {
            Ok(r) => r,
            Err(rejected) => {
                self.settle_all(&mut out).await?;
                self.outcomes.push(rejected);
                return Ok(out);
            }
        };
        let shares = |m: &Member| {
            m.sha == resolved.sha
                || m.vendors.iter().any(|v| resolved.vendors.contains(v))
                || m.matters.iter().any(|x| resolved.matters.contains(x))
        };
        if self.in_flight.iter().any(|f| shares(&f.member)) || self.members.iter().any(shares) {
            self.commit_into(&mut out).await?;
        }
        let member = Member {
            file: file.to_string(),
            vendors: resolved.vendors.clone(),
            matters: resolved.matters.clone(),
            sha: resolved.sha.clone(),
            lines: resolved.report.line_items,
            bytes,
        };
        let judged = judge(&self.app, file, &member.bytes, resolved).await?;
        let prepared = match judged {
            Err(rejected) => {
                self.settle_all(&mut out).await?;
                self.outcomes.push(rejected);
                return Ok(out);
            }
            Ok(prepared) => prepared,
        };
        while self.in_flight.len() >= in_flight(self.app.db.backend()) {
            self.settle(&mut out).await?;
        }
        if self.open_lines() >= self.group_lines {
            self.commit_into(&mut out).await?;
        }
        // The transaction: handed over by the write before when it ends, else the open one.
        let mut source = None;
        if let Some(prev) = self.in_flight.back() {
            let mut h = prev.handoff.lock().expect("handoff");
            if matches!(*h, Handoff::Open) {
                let (send, receive) = tokio::sync::oneshot::channel();
                *h = Handoff::Next(send);
                source = Some(TxSource::After(receive));
            }
        }
        let source = match source {
            Some(s) => s,
            None => {
                // The writes in flight have ended: their outcomes first.
                self.settle_all(&mut out).await?;
                TxSource::Ready(match self.tx.take() {
                    Some(tx) => tx,
                    None => self.app.db.begin().await?,
                })
            }
        };
        // A group that this file fills is committed by the file's own task, while the next file
        // is judged (which then waits for it only if it shares a firm or matter with the group).
        let commit = self.open_lines() + member.lines >= self.group_lines;
        let handoff = Arc::new(Mutex::new(Handoff::Open));
        let (app, user, h) = (self.app.clone(), self.user.clone(), handoff.clone());
        let gate = self.gate.clone();
        let task = tokio::spawn(async move {
            if let Some(gate) = gate
                && let Ok(permit) = gate.acquire().await
            {
                permit.forget();
            }
            let written = async {
                let tx = match source {
                    TxSource::Ready(tx) => tx,
                    TxSource::After(receive) => match receive.await {
                        Ok(Some(tx)) => tx,
                        Ok(None) => app.db.begin().await?,
                        Err(_) => return Ok(None),
                    },
                };
                store(&app, &user, prepared, tx).await.map(Some)
            }
            .await;
            let next = match std::mem::replace(&mut *h.lock().expect("handoff"), Handoff::Closed) {
                Handoff::Next(send) => Some(send),
                _ => None,
            };
            // Dropping `next` unsent tells the next write to stand down.
            match written? {
                None => Ok((Held::None, Stored::Skipped)),
                Some((tx, Stored::Done(o))) if commit => {
                    tx.commit().await?;
                    super::review::notify_queued(&app).await;
                    if let Some(next) = next {
                        let _ = next.send(None);
                    }
                    Ok((Held::Committed, Stored::Done(o)))
                }
                Some((tx, Stored::Done(o))) => match next {
                    Some(next) => match next.send(Some(tx)) {
                        Ok(()) => Ok((Held::HandedOn, Stored::Done(o))),
                        Err(Some(tx)) => Ok((Held::Kept(tx), Stored::Done(o))),
                        Err(None) => Ok((Held::None, Stored::Done(o))),
                    },
                    None => Ok((Held::Kept(tx), Stored::Done(o))),
                },
                Some((tx, stored)) => Ok((Held::Kept(tx), stored)),
            }
        });
        self.in_flight.push_back(InFlight {
            task,
            member,
            commit,
            handoff,
        });
        Ok(out)
    }

    /// Waits for the files written so far and commits them; their outcomes.
    pub async fn flush(&mut self) -> Result<Vec<IntakeOutcome>, AppError> {
        let mut out = vec![];
        self.commit_into(&mut out).await?;
        Ok(out)
    }

    /// Waits for the last files and commits them.
    pub async fn finish(mut self) -> Result<Vec<IntakeOutcome>, AppError> {
        self.flush().await
    }

    async fn commit_into(&mut self, out: &mut Vec<IntakeOutcome>) -> Result<(), AppError> {
        self.settle_all(out).await?;
        self.commit_group(out).await
    }

    async fn commit_group(&mut self, out: &mut Vec<IntakeOutcome>) -> Result<(), AppError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
            super::review::notify_queued(&self.app).await;
        }
        out.append(&mut self.outcomes);
        self.members.clear();
        self.lines = 0;
        Ok(())
    }

    /// Waits for every file in flight.
    async fn settle_all(&mut self, out: &mut Vec<IntakeOutcome>) -> Result<(), AppError> {
        while !self.in_flight.is_empty() {
            self.settle(out).await?;
        }
        Ok(())
    }

    /// Waits for the oldest file in flight to be written into the transaction.
    async fn settle(&mut self, out: &mut Vec<IntakeOutcome>) -> Result<(), AppError> {
        let Some(InFlight { task, member, .. }) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let written = task.await.map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "{}: the intake task failed: {e}",
                member.file
            ))
        })?;
        match written {
            Ok((held, Stored::Done(o))) => {
                self.lines += member.lines;
                self.members.push(member);
                self.outcomes.push(o);
                match held {
                    Held::Kept(tx) => self.tx = Some(tx),
                    Held::HandedOn => {}
                    Held::Committed | Held::None => self.commit_group(out).await?,
                }
                Ok(())
            }
            Ok((held, stored)) => {
                if let Held::Kept(tx) = held {
                    self.tx = Some(tx);
                }
                // Stale, or not written after one that was not: what the transaction holds is
                // committed, then the file is judged and written again on its own.
                debug_assert!(matches!(stored, Stored::Stale | Stored::Skipped));
                self.commit_group(out).await?;
                alone(&self.app, &self.user, &member, out).await
            }
            Err(e) => {
                // The transaction is gone with everything it held: the files before this one
                // are written again, each on its own; this one's error stands.
                self.outcomes.clear();
                self.lines = 0;
                for m in std::mem::take(&mut self.members) {
                    alone(&self.app, &self.user, &m, out).await?;
                }
                Err(e)
            }
        }
    }
}

/// Judges and writes one file in a transaction of its own, again while what it read keeps
/// changing.
async fn alone(
    app: &App,
    user: &CurrentUser,
    m: &Member,
    out: &mut Vec<IntakeOutcome>,
) -> Result<(), AppError> {
    for _ in 0..5 {
        let report = validate_off_thread(&m.bytes).await?;
        let r = match resolve(app, user, &m.file, &m.bytes, report).await? {
            Ok(r) => r,
            Err(rejected) => {
                out.push(rejected);
                return Ok(());
            }
        };
        let p = match judge(app, &m.file, &m.bytes, r).await? {
            Ok(p) => p,
            Err(rejected) => {
                out.push(rejected);
                return Ok(());
            }
        };
        let tx = app.db.begin().await?;
        if let (tx, Stored::Done(o)) = store(app, user, p, tx).await? {
            tx.commit().await?;
            super::review::notify_queued(app).await;
            out.push(o);
            return Ok(());
        }
    }
    Err(AppError::Conflict(format!(
        "{}: the firm's invoices kept changing while this file was judged; submit it again",
        m.file
    )))
}

/// A file whose invoices are matched to firms and matters.
struct Resolved {
    report: ledes::Report,
    problems: Vec<IntakeProblem>,
    /// (vendor, matter) per invoice.
    matched: Vec<(i64, i64)>,
    vendors: Vec<i64>,
    matters: Vec<i64>,
    sha: String,
}

/// A file judged and ready to be written.
struct Prepared {
    file: String,
    format: String,
    sha: String,
    seal: tokio::task::JoinHandle<Result<Option<blobstore::SealedBlob>, AppError>>,
    invoices: Vec<ledes::Invoice>,
    matched: Vec<Matched>,
    /// The guidelines' evaluation, the matter's type and practice area, per invoice.
    judged: Vec<(guidelines::Evaluation, String, String)>,
    problems: Vec<IntakeProblem>,
    line_items: usize,
    now: String,
    vendors: Vec<i64>,
    matters: Vec<i64>,
    seen: Fingerprint,
}

/// What of the firms' and matters' invoices a judgement read (see [`fingerprint_into`]).
type Fingerprint = (i64, i64, i64, i64, i64);

/// A summary of the invoices of `vendors` and `matters` that changes whenever one is added,
/// replaced, rejected or adjusted: this statement, added to `batch`, reads it.
fn fingerprint_into(batch: &mut Batch, vendors: &[i64], matters: &[i64]) {
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(MAX(id), 0) AS BIGINT), CAST(COALESCE(SUM(version), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(adjusted_total_e4), 0) AS BIGINT) \
         FROM invoices WHERE vendor_id IN ({}) OR matter_id IN ({})",
        batch.params(1, vendors.len()),
        batch.params(vendors.len() + 1, matters.len())
    );
    batch.statement(&sql);
    for id in vendors.iter().chain(matters) {
        batch.bind(*id);
    }
}

/// The fingerprint in the rows of [`fingerprint_into`]'s statement.
fn fingerprint_of(rows: &[sqlx::any::AnyRow]) -> Result<Fingerprint, sqlx::Error> {
    crate::platform::db::decode::<Fingerprint>(rows)?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// Checks the report and matches every invoice to its firm and matter (nothing written).
async fn resolve(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
    report: ledes::Report,
) -> Result<Result<Resolved, IntakeOutcome>, AppError> {
    let mut problems: Vec<IntakeProblem> = report
        .findings
        .iter()
        .map(|f| IntakeProblem {
            file: file.to_string(),
            line: f.line,
            field: f.field.map(str::to_string),
            invoice: f.invoice.clone(),
            line_item: f.line_item.clone(),
            code: f.code.map(str::to_string),
            severity: f.severity.as_str().to_string(),
            message: f.message.clone(),
        })
        .collect();
    let reject = |problems: Vec<IntakeProblem>, lines: usize| {
        Ok(Err(IntakeOutcome {
            file: file.to_string(),
            accepted: false,
            invoice_ids: vec![],
            replaced: 0,
            line_items: lines,
            problems,
        }))
    };
    if report.format.is_none() {
        if problems.is_empty() {
            problems.push(IntakeProblem::error(
                file,
                None,
                None,
                "this is not a LEDES file (1998B, 98BI or LEDES XML)".into(),
            ));
        }
        return reject(problems, 0);
    }
    if report.has_errors() {
        return reject(problems, report.line_items);
    }
    if report.invoices.is_empty() {
        problems.push(IntakeProblem::error(
            file,
            None,
            None,
            "the file holds no invoice".into(),
        ));
        return reject(problems, 0);
    }
    // Lookups cached for the file.
    let scope = vendor_scope(user);
    let mut matched = vec![];
    let mut errors = vec![];
    let mut in_file: HashMap<(i64, String), ()> = HashMap::new();
    let mut vendors: HashMap<String, Option<(i64, String)>> = HashMap::new();
    let mut matters: HashMap<(i64, String, String), Option<(i64, String)>> = HashMap::new();
    let mut assignments: HashMap<i64, Vec<(String, String, i64, String)>> = HashMap::new();
    for inv in &report.invoices {
        let num = inv.invoice_number.as_str();
        let firm_id = inv.law_firm_id.trim().to_string();
        if !vendors.contains_key(&firm_id) {
            let v: Option<(i64, String)> =
                sqlx::query_as("SELECT id, status FROM vendors WHERE law_firm_id = $1")
                    .bind(&firm_id)
                    .fetch_optional(app.db.pool())
                    .await?;
            vendors.insert(firm_id.clone(), v);
        }
        let Some((vendor_id, vendor_status)) = vendors[&firm_id].clone() else {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                format!(
                    "no vendor has the tax id {}: ask the legal department to register your firm",
                    inv.law_firm_id
                ),
            ));
            continue;
        };
        if let Some(s) = scope
            && s != vendor_id
        {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                format!("{} is not your firm's tax id", inv.law_firm_id),
            ));
            continue;
        }
        if vendor_status != "active" {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                "this vendor is inactive and cannot submit invoices".into(),
            ));
            continue;
        }
        let mut firm_ids: Vec<(&str, Option<&str>)> = inv
            .line_items
            .iter()
            .map(|l| (l.law_firm_matter_id.as_str(), l.client_matter_id.as_deref()))
            .collect();
        firm_ids.sort();
        firm_ids.dedup();
        if firm_ids.len() != 1 {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_MATTER_ID"),
                "this invoice bills several matters: send one invoice per matter".into(),
            ));
            continue;
        }
        let (firm_matter, client_matter) = firm_ids[0];
        let key = (
            vendor_id,
            firm_matter.trim().to_string(),
            client_matter.unwrap_or("").trim().to_string(),
        );
        if !matters.contains_key(&key) {
            // The firm's active assignments, read once per file; the first (oldest) whose
            // firm or client matter id matches wins.
            if let std::collections::hash_map::Entry::Vacant(e) = assignments.entry(vendor_id) {
                let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
                    "SELECT a.firm_matter_id, a.client_matter_id, a.matter_id, m.status FROM matter_assignments a JOIN matters m ON m.id = a.matter_id \
                     WHERE a.vendor_id = $1 AND a.status = 'active' ORDER BY a.id",
                )
                .bind(vendor_id)
                .fetch_all(app.db.pool())
                .await?;
                e.insert(rows);
            }
            let m = assignments[&vendor_id]
                .iter()
                .find(|(firm, client, _, _)| {
                    (!firm.is_empty() && *firm == key.1) || (!client.is_empty() && *client == key.2)
                })
                .map(|(_, _, id, status)| (*id, status.clone()));
            matters.insert(key.clone(), m);
        }
        let Some((matter_id, matter_status)) = matters[&key].clone() else {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("CLIENT_MATTER_ID"),
                format!(
                    "matter {} (your matter id {}) is unknown or not assigned to your firm",
                    client_matter.unwrap_or("—"),
                    firm_matter
                ),
            ));
            continue;
        };
        if matter_status == "closed" {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("CLIENT_MATTER_ID"),
                format!(
                    "matter {} is closed and cannot be billed",
                    client_matter.unwrap_or(firm_matter)
                ),
            ));
            continue;
        }
        if in_file.insert((vendor_id, num.to_string()), ()).is_some() {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("INVOICE_NUMBER"),
                "this invoice number appears twice in the file".into(),
            ));
            continue;
        }
        matched.push((vendor_id, matter_id));
    }
    if !errors.is_empty() {
        problems.extend(errors);
        return reject(problems, report.line_items);
    }
    let mut vendors: Vec<i64> = matched.iter().map(|m| m.0).collect();
    let mut matters: Vec<i64> = matched.iter().map(|m| m.1).collect();
    vendors.sort_unstable();
    vendors.dedup();
    matters.sort_unstable();
    matters.dedup();
    Ok(Ok(Resolved {
        report,
        problems,
        matched,
        vendors,
        matters,
        sha: crate::platform::blobs::digest(bytes),
    }))
}

/// Refuses invoice numbers already taken, then judges every invoice by the billing guidelines
/// (the context read once per firm and matter and kept current in memory). Nothing written; the
/// file's bytes are sealed into the document store meanwhile.
async fn judge(
    app: &App,
    file: &str,
    bytes: &[u8],
    r: Resolved,
) -> Result<Result<Prepared, IntakeOutcome>, AppError> {
    let Resolved {
        mut report,
        mut problems,
        matched: pairs,
        vendors,
        matters,
        sha,
    } = r;
    let mut conn = app.db.pool().acquire().await?;
    // Read before anything else the judgement reads, so that a change in between is seen (the
    // fingerprint comes first in the batch); then the firms' invoices with the file's numbers.
    let mut batch = Batch::new(app.db.backend());
    fingerprint_into(&mut batch, &vendors, &matters);
    let mut reads = vec![];
    for vendor_id in &vendors {
        let numbers: Vec<&str> = report
            .invoices
            .iter()
            .zip(&pairs)
            .filter(|(_, m)| m.0 == *vendor_id)
            .map(|(i, _)| i.invoice_number.as_str())
            .collect();
        for chunk in numbers.chunks(500) {
            reads.push((*vendor_id, batch.len()));
            let sql = format!(
                "SELECT id, invoice_number, status FROM invoices WHERE vendor_id = {} AND invoice_number IN ({})",
                batch.param(1),
                batch.params(2, chunk.len())
            );
            batch.statement(&sql).bind(*vendor_id);
            for n in chunk {
                batch.bind(n.to_string());
            }
        }
    }
    let sets = batch.fetch(&mut conn).await?;
    let seen = fingerprint_of(&sets[0])?;
    let mut existing: HashMap<i64, HashMap<String, (i64, String)>> =
        vendors.iter().map(|v| (*v, HashMap::new())).collect();
    for (vendor_id, at) in reads {
        let found = existing.entry(vendor_id).or_default();
        for (id, n, st) in crate::platform::db::decode::<(i64, String, String)>(&sets[at])? {
            found.insert(n, (id, st));
        }
    }
    drop(conn);
    let mut matched = vec![];
    let mut errors = vec![];
    for (inv, (vendor_id, matter_id)) in report.invoices.iter().zip(&pairs) {
        let num = inv.invoice_number.as_str();
        let replaces = match existing[vendor_id].get(num) {
            Some((id, status)) if status == "rejected" || status == "returned" => Some(*id),
            Some(_) => {
                let mut p = IntakeProblem::error(
                    file,
                    Some(num),
                    Some("INVOICE_NUMBER"),
                    format!(
                        "invoice {num} was already submitted; a duplicate invoice number is refused"
                    ),
                );
                p.code = Some("R401".into());
                errors.push(p);
                continue;
            }
            None => None,
        };
        matched.push(Matched {
            vendor_id: *vendor_id,
            matter_id: *matter_id,
            replaces,
        });
    }
    if !errors.is_empty() {
        problems.extend(errors);
        return Ok(Err(IntakeOutcome {
            file: file.to_string(),
            accepted: false,
            invoice_ids: vec![],
            replaced: 0,
            line_items: report.line_items,
            problems,
        }));
    }
    let seal = {
        let (app, bytes, sha) = (app.clone(), bytes.to_vec(), sha.clone());
        tokio::spawn(async move { crate::platform::blobs::seal_digested(&app, &bytes, sha).await })
    };
    let format = report
        .format
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    let now = app.clock.now_text();
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let mut sets: HashMap<(i64, i64), guidelines::GuidelineSet> = HashMap::new();
    let replaced_ids: Vec<i64> = matched.iter().filter_map(|m| m.replaces).collect();
    // Every matter's status and budget for the file (three statements), each firm's context and
    // the stored guideline sets are read at once, each on a connection of its own (their round
    // trips overlap). All are read after the fingerprint, so a change made meanwhile is caught
    // when the file is written. No branch waits for a connection while it holds one (the
    // fingerprint's is given back first), so intakes running at once cannot starve each other
    // of the pool.
    let keys: Vec<(i64, String)> = report
        .invoices
        .iter()
        .zip(&matched)
        .map(|(i, m)| (m.matter_id, i.invoice_date.to_string()[..4].to_string()))
        .collect();
    // Per firm, in order of first appearance: the span of its lines' dates, its invoice numbers
    // and the invoice its first one replaces.
    let mut wanted: Vec<(i64, String, String, Vec<&str>, Option<i64>)> = vec![];
    for (inv, m) in report.invoices.iter().zip(&matched) {
        let k = match wanted.iter().position(|w| w.0 == m.vendor_id) {
            Some(k) => k,
            None => {
                wanted.push((
                    m.vendor_id,
                    "9999".into(),
                    String::new(),
                    vec![],
                    m.replaces,
                ));
                wanted.len() - 1
            }
        };
        let w = &mut wanted[k];
        for l in &inv.line_items {
            let d = l.date.to_string();
            if d < w.1 {
                w.1.clone_from(&d);
            }
            if d > w.2 {
                w.2 = d;
            }
        }
        w.3.push(inv.invoice_number.as_str());
    }
    let firm_loads = async {
        let mut c = app.db.pool().acquire().await?;
        let mut out: HashMap<i64, FirmContext> = HashMap::new();
        for (vendor_id, from, to, numbers, exclude) in &wanted {
            let span = (from.as_str(), to.as_str());
            let f = FirmContext::load(&mut c, &today, *vendor_id, span, numbers, *exclude).await?;
            out.insert(*vendor_id, f);
        }
        Ok::<_, AppError>(out)
    };
    let matter_loads = async {
        let mut c = app.db.pool().acquire().await?;
        MatterContext::load_many(&mut c, &keys, &replaced_ids).await
    };
    let (mut firms, matter_rows, stored_sets) = tokio::try_join!(
        firm_loads,
        matter_loads,
        super::review::GuidelineSets::load(app)
    )?;
    let mut matter_ctx: HashMap<(i64, String), MatterContext> = matter_rows.into_iter().collect();
    let mut judged = vec![];
    for (inv, m) in report.invoices.iter_mut().zip(&matched) {
        let g = engine_invoice(inv, m.vendor_id, m.matter_id);
        let year = inv.invoice_date.to_string()[..4].to_string();
        let layers = stored_sets.layers(m.vendor_id, m.matter_id);
        if let std::collections::hash_map::Entry::Vacant(e) = sets.entry(layers) {
            e.insert(stored_sets.effective(m.vendor_id, m.matter_id)?);
        }
        let firm = firms.get_mut(&m.vendor_id).expect("loaded");
        let mc = matter_ctx.get_mut(&(m.matter_id, year)).expect("loaded");
        let (eval, normalized) = firm.evaluate(&sets[&layers], &g, mc);
        firm.remember(&g, &eval, normalized);
        mc.remember(&g, &eval);
        give_back(inv, g);
        judged.push((eval, mc.matter_type.clone(), mc.practice_area.clone()));
    }
    let line_items = report.line_items;
    Ok(Ok(Prepared {
        file: file.to_string(),
        format,
        sha,
        seal,
        invoices: report.invoices,
        matched,
        judged,
        problems,
        line_items,
        now,
        vendors,
        matters,
        seen,
    }))
}

/// Writes a judged file in `tx` (the caller commits): invoices, lines, flags, rollups, approval
/// steps, events, audit. On an error the transaction is dropped, undoing all it held.
async fn store(
    app: &App,
    user: &CurrentUser,
    p: Prepared,
    mut tx: Tx,
) -> Result<(Tx, Stored), AppError> {
    let Prepared {
        file,
        format,
        sha,
        seal,
        mut invoices,
        matched,
        judged,
        problems,
        line_items,
        now,
        vendors,
        matters,
        seen,
    } = p;
    let file = file.as_str();
    let format = format.as_str();
    let now = now.as_str();
    let sealed = seal.await.map_err(anyhow::Error::from)??;
    let backend = app.db.backend();
    let sqlite = backend == Backend::Sqlite;
    // The writing takes four round trips on SQLite (each batch is one): the reads (whether
    // what the judgement read changed since, the matters' rollup keys, the routing rules); the
    // invoices with their new ids, the lines' last id and the audit chain's place; the lines
    // and their last id; then flags, rollups, approval steps, events and audit.
    let mut reads = Batch::new(backend);
    fingerprint_into(&mut reads, &vendors, &matters);
    super::rollup::matter_keys_into(&mut reads, &matters);
    reads.statement("SELECT name, min_total_e4, matter_type, practice_area, only_over_budget, approver_id, approver_role FROM approval_rules ORDER BY position, id");
    let sets = reads.fetch(&mut tx).await?;
    if fingerprint_of(&sets[0])? != seen {
        return Ok((tx, Stored::Stale));
    }
    let nkeys = super::rollup::matter_keys_statements(&matters);
    let keys = super::rollup::matter_keys_of(&sets[1..1 + nkeys])?;
    let rules: Vec<(String, i64, String, String, i64, Option<i64>, String)> =
        crate::platform::db::decode(&sets[1 + nkeys])?;
    // Invoices: replacements one by one, new ones in multi-row statements.
    let mut ids = vec![0i64; matched.len()];
    let mut replaced = 0;
    let mut fresh = vec![];
    for (k, ((inv, m), (eval, _, _))) in invoices.iter().zip(&matched).zip(&judged).enumerate() {
        let row = invoice_row(inv, eval).map_err(|e| match e {
            StoreError::Amount(msg) => {
                AppError::BadRequest(format!("{file}: invoice {}: {msg}", inv.invoice_number))
            }
            StoreError::Sql(e) => e.into(),
        })?;
        match m.replaces {
            Some(old) => {
                replace_invoice(&mut tx, now, user, inv, m, &row, format, &sha, old).await?;
                ids[k] = old;
                replaced += 1;
            }
            None => fresh.push((k, inv, m, row)),
        }
    }
    let mut w = Batch::new(backend);
    if let Some(sealed) = &sealed {
        crate::platform::blobs::insert_row_into(&mut w, sealed, now);
    }
    for chunk in fresh.chunks(300) {
        w.rows(
            "INSERT INTO invoices (vendor_id, matter_id, invoice_number, invoice_date, billing_start, billing_end, description, currency, total_e4, adjusted_total_e4, \
             fees_e4, expenses_e4, line_count, status, format, source_sha256, submitted_by, received_at, approval_step, decided_at) VALUES ",
            chunk.len(),
            20,
        );
        for (_, inv, m, r) in chunk {
            w.bind(m.vendor_id)
                .bind(m.matter_id)
                .bind(inv.invoice_number.clone())
                .bind(inv.invoice_date.to_string())
                .bind(r.start.clone())
                .bind(r.end.clone())
                .bind(inv.description.clone())
                .bind(r.currency.clone())
                .bind(r.total)
                .bind(r.adjusted)
                .bind(r.fees)
                .bind(r.expenses)
                .bind(inv.line_items.len() as i64)
                .bind(r.status)
                .bind(format.to_string())
                .bind(sha.clone())
                .bind(user.id)
                .bind(now.to_string())
                .bind(r.step)
                .bind(if r.status == "rejected" {
                    Some(now.to_string())
                } else {
                    None
                });
        }
    }
    // Their ids, by firm and number.
    let mut by_vendor: HashMap<i64, Vec<(usize, &str)>> = HashMap::new();
    for (k, inv, m, _) in &fresh {
        by_vendor
            .entry(m.vendor_id)
            .or_default()
            .push((*k, inv.invoice_number.as_str()));
    }
    let mut id_reads = vec![];
    for (vendor_id, wanted) in &by_vendor {
        for chunk in wanted.chunks(500) {
            id_reads.push((w.len(), chunk));
            let sql = format!(
                "SELECT id, invoice_number FROM invoices WHERE vendor_id = {} AND invoice_number IN ({})",
                w.param(1),
                w.params(2, chunk.len())
            );
            w.statement(&sql).bind(*vendor_id);
            for (_, n) in chunk {
                w.bind(n.to_string());
            }
        }
    }
    let last_line = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM invoice_lines";
    let before_at = w.len();
    if sqlite {
        w.statement(last_line);
    }
    let claim_at = w.len();
    audit::claim_into(&mut w, invoices.len());
    let sets = w.fetch(&mut tx).await?;
    for (at, chunk) in id_reads {
        let found: HashMap<String, i64> = crate::platform::db::decode::<(i64, String)>(&sets[at])?
            .into_iter()
            .map(|(id, n)| (n, id))
            .collect();
        for (k, n) in chunk {
            ids[*k] = *found
                .get(*n)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("invoice {n} was not stored")))?;
        }
    }
    let before = if sqlite {
        crate::platform::db::decode::<(i64,)>(&sets[before_at])?[0].0
    } else {
        0
    };
    let head = audit::claimed(&sets[claim_at])?;
    // Lines, in multi-row batches across the file's invoices.
    // Each line is stored with what the guidelines leave of it (the same outcome
    // `review::recompute_many` derives from the flags; the stories check that they agree).
    // The lines' texts that nothing after needs move into the statement (the task code and
    // classification stay, for the rollups).
    let mut rows = vec![];
    for ((inv, id), (eval, _, _)) in invoices.iter_mut().zip(&ids).zip(&judged) {
        for (k, l) in inv.line_items.iter_mut().enumerate() {
            let adjusted = eval.lines.get(k).map(|o| o.adjusted_total);
            rows.push((*id, l, adjusted));
        }
    }
    // Full chunks one by one (their statement stays prepared), each written while the next is
    // bound; then the rest's whole fifties (one of 19 texts, also kept prepared: a statement
    // parsed anew costs SQLite more than writing its rows); the last few with the lines' last id.
    let amount = |e| match e {
        StoreError::Amount(msg) => AppError::BadRequest(format!("{file}: {msg}")),
        StoreError::Sql(e) => AppError::from(e),
    };
    let written = rows.len() as i64;
    let mut parts: Vec<_> = rows.chunks_mut(LINE_CHUNK).collect();
    let mut tail = match parts.last() {
        Some(c) if c.len() < LINE_CHUNK => parts.pop(),
        _ => None,
    };
    if let Some(t) = tail.take() {
        let whole = t.len() / LINE_STEP * LINE_STEP;
        let (fifties, few) = t.split_at_mut(whole);
        if !fifties.is_empty() {
            parts.push(fifties);
        }
        tail = (!few.is_empty()).then_some(few);
    }
    let mut ready: Option<Batch> = None;
    for chunk in parts {
        let mut one = Batch::new(backend);
        match ready.take() {
            Some(prev) => {
                let (done, bound) = tokio::join!(prev.execute(&mut tx), async {
                    insert_lines_into(&mut one, chunk)
                });
                done?;
                bound.map_err(amount)?;
            }
            None => insert_lines_into(&mut one, chunk).map_err(amount)?,
        }
        ready = Some(one);
    }
    let mut lb = Batch::new(backend);
    if let Some(tail) = tail {
        insert_lines_into(&mut lb, tail).map_err(amount)?;
    }
    drop(rows);
    let after_at = lb.len();
    if sqlite {
        lb.statement(last_line);
    }
    // What follows needs no answer from the database but three reads (the matters' rollup keys,
    // the routing rules, the audit chain's head) and the lines' ids: flags, rollups, approval
    // steps, events and audit go as one batch (one round trip on SQLite).
    let outcomes = |line_ids: &HashMap<i64, Vec<i64>>| -> Batch {
        // Flags.
        let mut flags = vec![];
        for (id, (eval, _, _)) in ids.iter().zip(&judged) {
            let lines = line_ids.get(id).map(Vec::as_slice).unwrap_or(&[]);
            for f in &eval.flags {
                let line_id = f
                    .line_number
                    .and_then(|n| lines.get(n as usize - 1))
                    .copied();
                flags.push((*id, line_id, f));
            }
        }
        // On SQLite, whole hundreds in a statement kept prepared (sent on its own), the rest
        // in the batch's text; on PostgreSQL, where each statement is a round trip anyway,
        // fewer and longer ones.
        let mut batch = Batch::new(backend);
        let per = if sqlite { FLAG_CHUNK } else { 400 };
        for chunk in flags.chunks(per) {
            let head = "INSERT INTO invoice_flags (invoice_id, line_id, rule_id, rule_kind, action, reason_code, message, proposed_total_e4) VALUES ";
            if chunk.len() == FLAG_CHUNK && sqlite {
                batch.rows_prepared(head, FLAG_CHUNK, 8);
            } else {
                batch.rows(head, chunk.len(), 8);
            }
            for (id, line_id, f) in chunk {
                let proposed = f.adjustment.as_ref().and_then(|a| to_e4(a.new_total));
                batch
                    .bind(*id)
                    .bind(*line_id)
                    .bind(f.rule_id.clone())
                    .bind(f.kind.clone())
                    .bind(super::review::action_name(&f.action))
                    .bind(f.reason_code.clone())
                    .bind(f.message.clone())
                    .bind(proposed);
            }
        }
        // The rollups, summed from what was just written (no lines read back).
        let mut delta = super::rollup::Delta::default();
        for ((inv, m), (id, (eval, _, _))) in
            invoices.iter().zip(&matched).zip(ids.iter().zip(&judged))
        {
            if eval.invoice_rejected {
                continue;
            }
            let (type_id, wall) = keys.get(&m.matter_id).copied().unwrap_or_default();
            let date = inv.invoice_date.to_string();
            let month = &date[..7];
            let mut totals = vec![];
            for (k, l) in inv.line_items.iter().enumerate() {
                let total = to_e4(l.total).unwrap_or_default();
                let adjusted = eval
                    .lines
                    .get(k)
                    .and_then(|o| to_e4(o.adjusted_total))
                    .unwrap_or(total);
                totals.push(total);
                delta.line(&super::rollup::LineFacts {
                    month,
                    wall,
                    vendor_id: m.vendor_id,
                    type_id,
                    matter_id: m.matter_id,
                    fee: l.line_type.code() == "F",
                    task_code: l.task_code.as_deref().unwrap_or_default(),
                    classification: l.timekeeper_classification.as_deref().unwrap_or_default(),
                    total_e4: total,
                    adjusted_e4: adjusted,
                    units_e4: to_e4(l.units.unwrap_or_default()).unwrap_or_default(),
                });
            }
            let lines = line_ids.get(id).map(Vec::as_slice).unwrap_or(&[]);
            for f in &eval.flags {
                let line = f
                    .line_number
                    .filter(|n| lines.get(*n as usize - 1).is_some())
                    .map(|n| n as usize - 1);
                let proposed = f.adjustment.as_ref().and_then(|a| to_e4(a.new_total));
                let savings = match (line, proposed) {
                    (Some(k), Some(p)) => totals[k] - p,
                    _ => 0,
                };
                delta.flag(month, wall, &f.kind, &f.reason_code, savings);
            }
        }
        delta.write_into(&mut batch);
        // Approval steps: the routing rules that match, then approvers the guidelines added.
        let mut steps = vec![];
        for (id, (eval, matter_type, practice_area)) in ids.iter().zip(&judged) {
            if eval.invoice_rejected {
                continue;
            }
            let total_e4 = to_e4(eval.adjusted_total).unwrap_or(0);
            let over_budget = eval.flags.iter().any(|f| f.kind.contains("budget"));
            let mut mine: Vec<(String, Option<i64>, String)> = rules
                .iter()
                .filter(|(_, min, mt, pa, ob, _, _)| {
                    total_e4 >= *min
                        && (mt.is_empty() || mt == matter_type)
                        && (pa.is_empty() || pa == practice_area)
                        && (*ob == 0 || over_budget)
                })
                .map(|(name, _, _, _, _, approver, role)| (name.clone(), *approver, role.clone()))
                .collect();
            if mine.is_empty() {
                mine.push(("Legal operations review".into(), None, "legal_ops".into()));
            }
            for a in &eval.extra_approvers {
                let step = match a {
                    guidelines::Approver::Role(r) => (
                        "Required by the billing guidelines".to_string(),
                        None,
                        r.clone(),
                    ),
                    guidelines::Approver::User(u) => (
                        "Required by the billing guidelines".to_string(),
                        Some(*u),
                        String::new(),
                    ),
                };
                if !mine.iter().any(|s| s.1 == step.1 && s.2 == step.2) {
                    mine.push(step);
                }
            }
            for (k, (name, approver, role)) in mine.into_iter().enumerate() {
                steps.push((*id, k as i64 + 1, name, approver, role));
            }
        }
        for chunk in steps.chunks(500) {
            batch.rows(
                "INSERT INTO invoice_approvals (invoice_id, step, rule_name, approver_id, approver_role) VALUES ",
                chunk.len(),
                5,
            );
            for (id, step, name, approver, role) in chunk {
                batch
                    .bind(*id)
                    .bind(*step)
                    .bind(name.clone())
                    .bind(*approver)
                    .bind(role.clone());
            }
        }
        // Events and audit, one each per invoice.
        let mut changes = vec![];
        for ((inv, m), (id, (eval, _, _))) in
            invoices.iter().zip(&matched).zip(ids.iter().zip(&judged))
        {
            changes.push(Change {
                action: if m.replaces.is_some() { "invoice.resubmit" } else { "invoice.receive" },
                object_type: "invoice",
                object_id: id.to_string(),
                before: None,
                after: Some(json!({"vendor_id": m.vendor_id, "matter_id": m.matter_id, "invoice_number": inv.invoice_number, "total": inv.total.to_string(),
                    "lines": inv.line_items.len(), "flags": eval.flags.len(), "rejected_by_guidelines": eval.invoice_rejected, "source_sha256": sha})),
            });
        }
        let events: Vec<(i64, &str, String)> = invoices
            .iter()
            .zip(&matched)
            .zip(ids.iter().zip(&judged))
            .flat_map(|((inv, m), (id, (eval, _, _)))| {
                let mut v = vec![(
                    *id,
                    if m.replaces.is_some() {
                        "resubmitted"
                    } else {
                        "received"
                    },
                    format!("{} line items, {format}", inv.line_items.len()),
                )];
                if eval.invoice_rejected {
                    v.push((
                        *id,
                        "rejected",
                        "rejected by the billing guidelines".to_string(),
                    ));
                }
                v
            })
            .collect();
        for chunk in events.chunks(500) {
            batch.rows(
                "INSERT INTO invoice_events (invoice_id, at, actor_id, kind, note) VALUES ",
                chunk.len(),
                5,
            );
            for (id, kind, note) in chunk {
                batch
                    .bind(*id)
                    .bind(now.to_string())
                    .bind(user.id)
                    .bind(*kind)
                    .bind(note.clone());
            }
        }
        audit::chain_into(&mut batch, head.clone(), now, &user.actor(), changes);
        batch
    };
    // SQLite gives each new row the highest id so far plus one, so the lines' ids are expected
    // to follow the highest before them, in the order written (as they do unless ids ran out):
    // the rest is bound with those while the last lines are written, and used when the highest
    // id grew by exactly the number of lines. Otherwise the ids are read back: a range when they
    // are consecutive (as a multi-row insert gives them), else listed.
    let mut expected: HashMap<i64, Vec<i64>> = HashMap::new();
    if sqlite {
        let mut next = before + 1;
        for (id, inv) in ids.iter().zip(&invoices) {
            let n = inv.line_items.len() as i64;
            expected.insert(*id, (next..next + n).collect());
            next += n;
        }
    }
    let (sets, early) = tokio::join!(
        async {
            if let Some(last) = ready {
                last.execute(&mut tx).await?;
            }
            lb.fetch(&mut tx).await
        },
        async { sqlite.then(|| outcomes(&expected)) }
    );
    let sets = sets?;
    let as_expected =
        sqlite && crate::platform::db::decode::<(i64,)>(&sets[after_at])?[0].0 - before == written;
    let (mut line_ids, early) = if as_expected {
        (expected, early)
    } else {
        (HashMap::new(), None)
    };
    let mut scattered = vec![];
    let unread: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !line_ids.contains_key(id))
        .collect();
    for chunk in unread.chunks(500) {
        let list = crate::platform::db::params(1, chunk.len());
        let mut q = sqlx::query_as::<_, (i64, i64, i64, i64)>(sqlx::AssertSqlSafe(format!(
            "SELECT invoice_id, MIN(id), MAX(id), COUNT(*) FROM invoice_lines WHERE invoice_id IN ({list}) GROUP BY invoice_id"
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for (inv, lo, hi, n) in q.fetch_all(&mut *tx).await? {
            if hi - lo + 1 == n {
                line_ids.insert(inv, (lo..=hi).collect());
            } else {
                scattered.push(inv);
            }
        }
    }
    for inv in scattered {
        let lines: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM invoice_lines WHERE invoice_id = $1 ORDER BY id")
                .bind(inv)
                .fetch_all(&mut *tx)
                .await?;
        line_ids.insert(inv, lines);
    }
    let batch = match early {
        Some(batch) => batch,
        None => outcomes(&line_ids),
    };
    batch.execute(&mut tx).await?;
    for (id, (eval, _, _)) in ids.iter().zip(&judged) {
        if eval.invoice_rejected {
            super::review::notify_firm(app, &mut tx, *id, now, "rejected").await?;
        }
    }
    Ok((
        tx,
        Stored::Done(IntakeOutcome {
            file: file.to_string(),
            accepted: true,
            invoice_ids: ids,
            replaced,
            line_items,
            problems,
        }),
    ))
}

enum StoreError {
    Amount(String),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Sql(e)
    }
}

fn e4(d: ledes::Decimal, what: &str) -> Result<i64, StoreError> {
    to_e4(d).ok_or_else(|| {
        StoreError::Amount(format!(
            "{what} {d} has more than four decimals or is too large"
        ))
    })
}

const LINE_COLS: usize = 17;
/// Flags per multi-row statement (those of a whole statement are sent on their own, kept
/// prepared).
const FLAG_CHUNK: usize = 100;
/// Lines per multi-row statement.
const LINE_CHUNK: usize = 1000;
/// A file's last lines are written in a statement of a multiple of this many lines (then the
/// few left), so that only a few statement texts exist and each stays prepared.
const LINE_STEP: usize = 50;

/// A line's total as stored: what the guidelines leave of it, or its total.
fn line_adjusted(total: i64, adjusted: Option<ledes::Decimal>) -> Result<i64, StoreError> {
    match adjusted {
        Some(a) => e4(a, "adjusted line total"),
        None => Ok(total),
    }
}

/// The computed columns of an invoice row.
struct InvoiceRow {
    total: i64,
    /// The sum of the lines as stored (what the guidelines leave of each): the invoice's
    /// adjusted total, as `review::recompute` derives it.
    adjusted: i64,
    fees: i64,
    expenses: i64,
    currency: String,
    start: String,
    end: String,
    status: &'static str,
    step: i64,
}

fn invoice_row(
    inv: &ledes::Invoice,
    eval: &guidelines::Evaluation,
) -> Result<InvoiceRow, StoreError> {
    let rejected = eval.invoice_rejected;
    let mut fees = 0i64;
    let mut expenses = 0i64;
    let mut adjusted = 0i64;
    for (k, l) in inv.line_items.iter().enumerate() {
        let t = e4(l.total, "line total")?;
        if l.line_type.is_fee_side() {
            fees += t
        } else {
            expenses += t
        }
        adjusted += line_adjusted(t, eval.lines.get(k).map(|o| o.adjusted_total))?;
    }
    Ok(InvoiceRow {
        total: e4(inv.total, "invoice total")?,
        adjusted,
        fees,
        expenses,
        currency: inv.currency.clone().unwrap_or_else(|| "USD".into()),
        start: inv
            .billing_start
            .map(|d| d.to_string())
            .unwrap_or_else(|| inv.invoice_date.to_string()),
        end: inv
            .billing_end
            .map(|d| d.to_string())
            .unwrap_or_else(|| inv.invoice_date.to_string()),
        status: if rejected { "rejected" } else { "in_review" },
        step: if rejected { 0 } else { 1 },
    })
}

/// Replaces a rejected or returned invoice by its corrected version.
#[allow(clippy::too_many_arguments)]
async fn replace_invoice(
    tx: &mut Tx,
    now: &str,
    user: &CurrentUser,
    inv: &ledes::Invoice,
    m: &Matched,
    r: &InvoiceRow,
    format: &str,
    sha: &str,
    old: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM invoice_flags WHERE invoice_id = $1")
        .bind(old)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = $1")
        .bind(old)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM invoice_approvals WHERE invoice_id = $1")
        .bind(old)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE invoices SET matter_id = $1, invoice_date = $2, billing_start = $3, billing_end = $4, description = $5, currency = $6, total_e4 = $7, \
         adjusted_total_e4 = $19, fees_e4 = $8, expenses_e4 = $9, line_count = $10, status = $11, format = $12, source_sha256 = $13, \
         version = version + 1, approval_step = $14, submitted_by = $15, received_at = $16, decided_at = $17 WHERE id = $18",
    )
    .bind(m.matter_id)
    .bind(inv.invoice_date.to_string())
    .bind(&r.start)
    .bind(&r.end)
    .bind(&inv.description)
    .bind(&r.currency)
    .bind(r.total)
    .bind(r.fees)
    .bind(r.expenses)
    .bind(inv.line_items.len() as i64)
    .bind(r.status)
    .bind(format)
    .bind(sha)
    .bind(r.step)
    .bind(user.id)
    .bind(now)
    .bind(if r.status == "rejected" { Some(now) } else { None })
    .bind(old)
    .bind(r.adjusted)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn insert_lines_into(
    batch: &mut Batch,
    rows: &mut [(i64, &mut ledes::LineItem, Option<ledes::Decimal>)],
) -> Result<(), StoreError> {
    batch.rows(
        "INSERT INTO invoice_lines (invoice_id, line_no, line_type, line_date, timekeeper_code, timekeeper_name, classification, task_code, activity_code, \
         expense_code, narrative, units_e4, rate_e4, adjustment_e4, total_e4, adjusted_total_e4, status) VALUES ",
        rows.len(),
        LINE_COLS,
    );
    for (id, l, adjusted) in rows {
        let total = e4(l.total, "line total")?;
        let adjusted = line_adjusted(total, *adjusted)?;
        let status = if adjusted == 0 && total != 0 {
            "rejected"
        } else if adjusted != total {
            "adjusted"
        } else {
            "open"
        };
        batch
            .bind(*id)
            .bind(std::mem::take(&mut l.number))
            .bind(l.line_type.code())
            .bind(l.date.to_string())
            .bind(l.timekeeper_id.take().unwrap_or_default())
            .bind(l.timekeeper_name.take().unwrap_or_default())
            .bind(l.timekeeper_classification.clone().unwrap_or_default())
            .bind(l.task_code.clone().unwrap_or_default())
            .bind(l.activity_code.take().unwrap_or_default())
            .bind(l.expense_code.take().unwrap_or_default())
            .bind(std::mem::take(&mut l.description))
            .bind(e4(l.units.unwrap_or_default(), "units")?)
            .bind(e4(l.unit_cost.unwrap_or_default(), "unit cost")?)
            .bind(e4(l.adjustment.unwrap_or_default(), "adjustment")?)
            .bind(total)
            .bind(adjusted)
            .bind(status);
    }
    Ok(())
}
