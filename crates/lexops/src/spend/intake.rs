//! LEDES invoice intake: a file (1998B, 98BI or XML) is validated by the `ledes` crate; any
//! structural or arithmetic error rejects the whole file with the LEDES report and nothing is
//! stored. Accepted invoices are matched to the vendor by `LAW_FIRM_ID` and to the matter by
//! the vendor's assignment (`LAW_FIRM_MATTER_ID` or `CLIENT_MATTER_ID`); an unknown or closed
//! matter, a foreign firm id or a duplicate invoice number rejects the file too. A corrected
//! resubmission replaces an invoice that was rejected or returned. Every invoice is judged by
//! the billing guidelines (`context` loads what the engine needs once per firm and matter), and
//! everything of one file — invoices, lines, flags, approval steps, events, audit — is written
//! in one transaction with multi-row statements, so a file of many invoices costs a few dozen
//! statements rather than a few dozen per invoice.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::context::{FirmContext, MatterContext, engine_invoice};
use super::money::to_e4;
use super::vendors::vendor_scope;
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
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
    let opts = ledes::ValidateOptions {
        keep_invoices: true,
        ..Default::default()
    };
    let bytes_owned = bytes.to_vec();
    let report = tokio::task::spawn_blocking(move || ledes::validate(&bytes_owned, &opts))
        .await
        .map_err(anyhow::Error::from)?;
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
    let reject = |problems: Vec<IntakeProblem>, lines: usize| IntakeOutcome {
        file: file.to_string(),
        accepted: false,
        invoice_ids: vec![],
        replaced: 0,
        line_items: lines,
        problems,
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
        return Ok(reject(problems, 0));
    }
    if report.has_errors() {
        return Ok(reject(problems, report.line_items));
    }
    if report.invoices.is_empty() {
        problems.push(IntakeProblem::error(
            file,
            None,
            None,
            "the file holds no invoice".into(),
        ));
        return Ok(reject(problems, 0));
    }
    // Match every invoice before writing anything (lookups cached for the file).
    let scope = vendor_scope(user);
    let mut matched = vec![];
    let mut errors = vec![];
    let mut in_file: HashMap<(i64, String), ()> = HashMap::new();
    let mut vendors: HashMap<String, Option<(i64, String)>> = HashMap::new();
    let mut matters: HashMap<(i64, String, String), Option<(i64, String)>> = HashMap::new();
    let mut assignments: HashMap<i64, Vec<(String, String, i64, String)>> = HashMap::new();
    let mut existing: HashMap<i64, HashMap<String, (i64, String)>> = HashMap::new();
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
        if let std::collections::hash_map::Entry::Vacant(e) = existing.entry(vendor_id) {
            let numbers: Vec<String> = report
                .invoices
                .iter()
                .filter(|i| i.law_firm_id.trim() == firm_id)
                .map(|i| i.invoice_number.clone())
                .collect();
            let mut found = HashMap::new();
            for chunk in numbers.chunks(500) {
                let list = (2..chunk.len() + 2)
                    .map(|k| format!("${k}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut q = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(format!("SELECT id, invoice_number, status FROM invoices WHERE vendor_id = $1 AND invoice_number IN ({list})"))).bind(vendor_id);
                for n in chunk {
                    q = q.bind(n.clone());
                }
                for (id, n, st) in q.fetch_all(app.db.pool()).await? {
                    found.insert(n, (id, st));
                }
            }
            e.insert(found);
        }
        let replaces = match existing[&vendor_id].get(num) {
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
            vendor_id,
            matter_id,
            replaces,
        });
    }
    if !errors.is_empty() {
        problems.extend(errors);
        return Ok(reject(problems, report.line_items));
    }
    let sha = crate::platform::blobs::put(app, bytes).await?;
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
    let mut tx = app.db.begin().await?;
    // Judge every invoice; the context is read once per firm and matter and kept current.
    let mut firms: HashMap<i64, FirmContext> = HashMap::new();
    let mut matter_ctx: HashMap<(i64, String), MatterContext> = HashMap::new();
    let mut sets: HashMap<(i64, i64), guidelines::GuidelineSet> = HashMap::new();
    let stored_sets = super::review::GuidelineSets::load(app).await?;
    let replaced_ids: Vec<i64> = matched.iter().filter_map(|m| m.replaces).collect();
    // Every matter's status and budget for the file, in three statements.
    let keys: Vec<(i64, String)> = report
        .invoices
        .iter()
        .zip(&matched)
        .map(|(i, m)| (m.matter_id, i.invoice_date.to_string()[..4].to_string()))
        .collect();
    for (k, mc) in MatterContext::load_many(&mut tx, &keys, &replaced_ids).await? {
        matter_ctx.insert(k, mc);
    }
    let mut judged = vec![];
    for (inv, m) in report.invoices.iter().zip(&matched) {
        let g = engine_invoice(inv, m.vendor_id, m.matter_id);
        if !firms.contains_key(&m.vendor_id) {
            let dates = report
                .invoices
                .iter()
                .zip(&matched)
                .filter(|(_, x)| x.vendor_id == m.vendor_id)
                .flat_map(|(i, _)| i.line_items.iter().map(|l| l.date.to_string()));
            let (from, to) = dates.fold((String::from("9999"), String::new()), |(lo, hi), d| {
                (lo.min(d.clone()), hi.max(d))
            });
            let exclude = m.replaces;
            firms.insert(
                m.vendor_id,
                FirmContext::load(&mut tx, &today, m.vendor_id, &from, &to, exclude).await?,
            );
        }
        let year = inv.invoice_date.to_string()[..4].to_string();
        let layers = stored_sets.layers(m.vendor_id, m.matter_id);
        if !sets.contains_key(&layers) {
            sets.insert(layers, stored_sets.effective(m.vendor_id, m.matter_id)?);
        }
        let firm = firms.get_mut(&m.vendor_id).expect("loaded");
        let mc = matter_ctx.get_mut(&(m.matter_id, year)).expect("loaded");
        let eval = firm.evaluate(&sets[&layers], &g, mc);
        firm.remember(&g, &eval);
        mc.remember(&g, &eval);
        judged.push((eval, mc.matter_type.clone(), mc.practice_area.clone()));
    }
    // Invoices: replacements one by one, new ones in multi-row statements.
    let mut ids = vec![0i64; matched.len()];
    let mut replaced = 0;
    let mut fresh = vec![];
    for (k, ((inv, m), (eval, _, _))) in report
        .invoices
        .iter()
        .zip(&matched)
        .zip(&judged)
        .enumerate()
    {
        let row = invoice_row(inv, eval.invoice_rejected).map_err(|e| match e {
            StoreError::Amount(msg) => {
                AppError::BadRequest(format!("{file}: invoice {}: {msg}", inv.invoice_number))
            }
            StoreError::Sql(e) => e.into(),
        })?;
        match m.replaces {
            Some(old) => {
                replace_invoice(&mut tx, &now, user, inv, m, &row, &format, &sha, old).await?;
                ids[k] = old;
                replaced += 1;
            }
            None => fresh.push((k, inv, m, row)),
        }
    }
    for chunk in fresh.chunks(300) {
        let mut sql = String::from(
            "INSERT INTO invoices (vendor_id, matter_id, invoice_number, invoice_date, billing_start, billing_end, description, currency, total_e4, adjusted_total_e4, \
             fees_e4, expenses_e4, line_count, status, format, source_sha256, submitted_by, received_at, approval_step, decided_at) VALUES ",
        );
        sql.push_str(&crate::platform::db::values(
            app.db.backend(),
            chunk.len(),
            20,
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, inv, m, r) in chunk {
            q = q
                .bind(m.vendor_id)
                .bind(m.matter_id)
                .bind(inv.invoice_number.clone())
                .bind(inv.invoice_date.to_string())
                .bind(r.start.clone())
                .bind(r.end.clone())
                .bind(inv.description.clone())
                .bind(r.currency.clone())
                .bind(r.total)
                .bind(r.total)
                .bind(r.fees)
                .bind(r.expenses)
                .bind(inv.line_items.len() as i64)
                .bind(r.status)
                .bind(format.clone())
                .bind(sha.clone())
                .bind(user.id)
                .bind(now.clone())
                .bind(r.step)
                .bind(if r.status == "rejected" {
                    Some(now.clone())
                } else {
                    None
                });
        }
        q.execute(&mut *tx).await?;
    }
    // Their ids, by firm and number.
    let mut by_vendor: HashMap<i64, Vec<(usize, &str)>> = HashMap::new();
    for (k, inv, m, _) in &fresh {
        by_vendor
            .entry(m.vendor_id)
            .or_default()
            .push((*k, inv.invoice_number.as_str()));
    }
    for (vendor_id, wanted) in by_vendor {
        for chunk in wanted.chunks(500) {
            let list = (2..chunk.len() + 2)
                .map(|k| format!("${k}"))
                .collect::<Vec<_>>()
                .join(",");
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(format!("SELECT id, invoice_number FROM invoices WHERE vendor_id = $1 AND invoice_number IN ({list})"))).bind(vendor_id);
            for (_, n) in chunk {
                q = q.bind(n.to_string());
            }
            let found: HashMap<String, i64> = q
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(id, n)| (n, id))
                .collect();
            for (k, n) in chunk {
                ids[*k] = *found.get(*n).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("invoice {n} was not stored"))
                })?;
            }
        }
    }
    // Lines, in multi-row batches across the file's invoices.
    // Each line is stored with what the guidelines leave of it (the same outcome
    // `review::recompute_many` derives from the flags; the stories check that they agree).
    let mut rows = vec![];
    for ((inv, id), (eval, _, _)) in report.invoices.iter().zip(&ids).zip(&judged) {
        for (k, l) in inv.line_items.iter().enumerate() {
            let adjusted = eval.lines.get(k).map(|o| o.adjusted_total);
            rows.push((*id, l, adjusted));
        }
    }
    for chunk in rows.chunks(1000) {
        insert_lines(&mut tx, chunk).await.map_err(|e| match e {
            StoreError::Amount(msg) => AppError::BadRequest(format!("{file}: {msg}")),
            StoreError::Sql(e) => e.into(),
        })?;
    }
    // The new lines' ids, in order, per invoice: a range when they are consecutive (as a
    // multi-row insert gives them), otherwise listed.
    let mut line_ids: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut scattered = vec![];
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|k| format!("${k}"))
            .collect::<Vec<_>>()
            .join(",");
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
    for chunk in flags.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO invoice_flags (invoice_id, line_id, rule_id, rule_kind, action, reason_code, message, proposed_total_e4) VALUES ",
        );
        sql.push_str(&crate::platform::db::values(
            app.db.backend(),
            chunk.len(),
            8,
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, line_id, f) in chunk {
            let proposed = f.adjustment.as_ref().and_then(|a| to_e4(a.new_total));
            q = q
                .bind(*id)
                .bind(*line_id)
                .bind(f.rule_id.clone())
                .bind(f.kind.clone())
                .bind(super::review::action_name(&f.action))
                .bind(f.reason_code.clone())
                .bind(f.message.clone())
                .bind(proposed);
        }
        q.execute(&mut *tx).await?;
    }
    super::review::recompute_received(&mut tx, &ids).await?;
    super::rollup::apply(&mut tx, &ids, 1).await?;
    // Approval steps: the routing rules that match, then approvers the guidelines added.
    let rules: Vec<(String, i64, String, String, i64, Option<i64>, String)> =
        sqlx::query_as("SELECT name, min_total_e4, matter_type, practice_area, only_over_budget, approver_id, approver_role FROM approval_rules ORDER BY position, id").fetch_all(&mut *tx).await?;
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
        let mut sql = String::from(
            "INSERT INTO invoice_approvals (invoice_id, step, rule_name, approver_id, approver_role) VALUES ",
        );
        sql.push_str(&crate::platform::db::values(
            app.db.backend(),
            chunk.len(),
            5,
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, step, name, approver, role) in chunk {
            q = q
                .bind(*id)
                .bind(*step)
                .bind(name.clone())
                .bind(*approver)
                .bind(role.clone());
        }
        q.execute(&mut *tx).await?;
    }
    // Events and audit, one each per invoice.
    let mut changes = vec![];
    for ((inv, m), (id, (eval, _, _))) in report
        .invoices
        .iter()
        .zip(&matched)
        .zip(ids.iter().zip(&judged))
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
    let events: Vec<(i64, &str, String)> = report
        .invoices
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
        let mut sql = String::from(
            "INSERT INTO invoice_events (invoice_id, at, actor_id, kind, note) VALUES ",
        );
        sql.push_str(&crate::platform::db::values(
            app.db.backend(),
            chunk.len(),
            5,
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, kind, note) in chunk {
            q = q
                .bind(*id)
                .bind(now.clone())
                .bind(user.id)
                .bind(*kind)
                .bind(note.clone());
        }
        q.execute(&mut *tx).await?;
    }
    audit::record_many(&mut tx, &now, &user.actor(), changes).await?;
    for (id, (eval, _, _)) in ids.iter().zip(&judged) {
        if eval.invoice_rejected {
            super::review::notify_firm(app, &mut tx, *id, &now, "rejected").await?;
        }
    }
    tx.commit().await?;
    super::review::notify_queued(app).await;
    Ok(IntakeOutcome {
        file: file.to_string(),
        accepted: true,
        invoice_ids: ids,
        replaced,
        line_items: report.line_items,
        problems,
    })
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

/// The computed columns of an invoice row.
struct InvoiceRow {
    total: i64,
    fees: i64,
    expenses: i64,
    currency: String,
    start: String,
    end: String,
    status: &'static str,
    step: i64,
}

fn invoice_row(inv: &ledes::Invoice, rejected: bool) -> Result<InvoiceRow, StoreError> {
    let mut fees = 0i64;
    let mut expenses = 0i64;
    for l in &inv.line_items {
        let t = e4(l.total, "line total")?;
        if l.line_type.is_fee_side() {
            fees += t
        } else {
            expenses += t
        }
    }
    Ok(InvoiceRow {
        total: e4(inv.total, "invoice total")?,
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
         adjusted_total_e4 = $7, fees_e4 = $8, expenses_e4 = $9, line_count = $10, status = $11, format = $12, source_sha256 = $13, \
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_lines(
    tx: &mut Tx,
    rows: &[(i64, &ledes::LineItem, Option<ledes::Decimal>)],
) -> Result<(), StoreError> {
    let mut sql = String::from(
        "INSERT INTO invoice_lines (invoice_id, line_no, line_type, line_date, timekeeper_code, timekeeper_name, classification, task_code, activity_code, \
         expense_code, narrative, units_e4, rate_e4, adjustment_e4, total_e4, adjusted_total_e4, status) VALUES ",
    );
    sql.push_str(&crate::platform::db::values(
        crate::platform::db::backend_of(&**tx),
        rows.len(),
        LINE_COLS,
    ));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, l, adjusted) in rows {
        let total = e4(l.total, "line total")?;
        let adjusted = match adjusted {
            Some(a) => e4(*a, "adjusted line total")?,
            None => total,
        };
        let status = if adjusted == 0 && total != 0 {
            "rejected"
        } else if adjusted != total {
            "adjusted"
        } else {
            "open"
        };
        q = q
            .bind(*id)
            .bind(l.number.clone())
            .bind(l.line_type.code())
            .bind(l.date.to_string())
            .bind(l.timekeeper_id.clone().unwrap_or_default())
            .bind(l.timekeeper_name.clone().unwrap_or_default())
            .bind(l.timekeeper_classification.clone().unwrap_or_default())
            .bind(l.task_code.clone().unwrap_or_default())
            .bind(l.activity_code.clone().unwrap_or_default())
            .bind(l.expense_code.clone().unwrap_or_default())
            .bind(l.description.clone())
            .bind(e4(l.units.unwrap_or_default(), "units")?)
            .bind(e4(l.unit_cost.unwrap_or_default(), "unit cost")?)
            .bind(e4(l.adjustment.unwrap_or_default(), "adjustment")?)
            .bind(total)
            .bind(adjusted)
            .bind(status);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
