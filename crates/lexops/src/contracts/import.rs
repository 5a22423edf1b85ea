//! Bulk import of existing (executed) contracts — PDF, Word or text — and the verification
//! queue: every file is read first (any unreadable one refuses the whole import, naming it);
//! each becomes an executed contract with the file as its signed copy and the metadata found in
//! its text ([`super::extract`]) applied and queued, each value with the words it came from, for
//! a person to confirm or correct. A file already in the repository (same bytes) is skipped, so
//! an import can run again.

use serde::Serialize;
use serde_json::json;

use super::model::{self, ContractInput, Status};
use super::store::{self, Upload};
use crate::platform::access::CurrentUser;
use crate::platform::app::App;
use crate::platform::audit::{self, Change};
use crate::platform::error::{AppError, FieldError};

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub imported: usize,
    /// Files already in the repository.
    pub skipped: usize,
    /// Values found and queued for verification.
    pub fields: usize,
    /// The numbers of the new contracts.
    pub numbers: Vec<String>,
}

fn title_of(filename: &str, text: &str) -> String {
    // The first line in capitals or a short first line reads as the title; else the file name.
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let t = if !first.is_empty() && first.chars().count() <= 120 {
        first.to_string()
    } else {
        filename
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(filename)
            .replace(['_', '-'], " ")
    };
    let lower = t.to_lowercase();
    if t == t.to_uppercase() {
        // MASTER SERVICES AGREEMENT → Master Services Agreement
        lower
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        t
    }
}

fn type_of(title: &str) -> &'static str {
    let t = title.to_lowercase();
    if t.contains("non-disclosure") || t.contains("confidentiality") || t.contains("nda") {
        "nda"
    } else if t.contains("master") {
        "msa"
    } else if t.contains("statement of work") {
        "sow"
    } else if t.contains("amendment") {
        "amendment"
    } else if t.contains("licen") {
        "license"
    } else if t.contains("purchase") || t.contains("supply") {
        "purchase"
    } else if t.contains("employment") {
        "employment"
    } else if t.contains("lease") {
        "lease"
    } else if t.contains("service") {
        "services"
    } else {
        "other"
    }
}

/// Imports files as executed contracts (all or nothing).
pub async fn import(
    app: &App,
    user: &CurrentUser,
    files: Vec<Upload>,
    our_names: &[&str],
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let mut ready = vec![];
    let mut problems = vec![];
    for f in files {
        let sha = blobstore::BlobStore::digest(&f.bytes);
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT contract_id FROM contract_versions WHERE sha256 = $1 LIMIT 1",
        )
        .bind(&sha)
        .fetch_optional(app.db.pool())
        .await?;
        if known.is_some() {
            report.skipped += 1;
            continue;
        }
        match store::prepare(app, f.filename.clone(), f.bytes).await {
            Ok(p) => ready.push(p),
            Err(AppError::Validation(fs)) => problems.extend(fs),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    // Clause finding is CPU work (tens of milliseconds a contract): off the async threads.
    let texts: Vec<String> = ready.iter().map(|p| p.text.clone()).collect();
    let clause_sets = tokio::task::spawn_blocking(move || {
        texts
            .iter()
            .map(|t| super::clauses::found(t))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    for (p, clauses_found) in ready.iter().zip(&clause_sets) {
        let mut found = super::extract::extract(&p.text, our_names);
        // What the pattern rules missed, the clause finder's normalised answers may give.
        for (field, value, c) in super::clauses::metadata(clauses_found) {
            if !found.iter().any(|f| f.field == field) {
                found.push(super::extract::Found {
                    field,
                    value,
                    evidence: super::clauses::evidence(c),
                    start: c.start,
                    end: c.end,
                });
            }
        }
        let get = |k: &str| {
            found
                .iter()
                .find(|f| f.field == k)
                .map(|f| f.value.clone())
                .unwrap_or_default()
        };
        let title = title_of(&p.filename, &p.text);
        let input = ContractInput {
            type_code: type_of(&title).into(),
            title,
            counterparty: get("counterparty"),
            our_entity: get("our_entity"),
            effective_on: get("effective_on"),
            term_months: get("term_months"),
            auto_renew: if get("auto_renew") == "yes" {
                "1".into()
            } else {
                String::new()
            },
            renewal_months: get("renewal_months"),
            notice_days: get("notice_days"),
            termination_notice_days: get("termination_notice_days"),
            governing_law: get("governing_law"),
            business_reason: format!("Imported from {}.", p.filename),
            ..Default::default()
        };
        // What was found is a proposal: a value the checks refuse is left for the person.
        let v = model::check(&input).or_else(|_| {
            model::check(&ContractInput {
                renewal_months: String::new(),
                auto_renew: String::new(),
                expires_on: String::new(),
                ..input.clone()
            })
        });
        let v = v.map_err(AppError::Validation)?;
        let id = store::insert(&mut tx, &now, user, &v, None).await?;
        sqlx::query(
            "UPDATE contracts SET status = 'executed', status_at = $1, locked = 1, key_dates_until = '' WHERE id = $2",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        store::status_row(
            &mut tx,
            id,
            Some(Status::Draft),
            Status::Executed,
            &format!("imported from {}", p.filename),
            &now,
            user.id,
        )
        .await?;
        store::write_version(
            &mut tx,
            &now,
            user,
            id,
            1,
            p,
            "signed",
            "Imported executed copy",
            None,
        )
        .await?;
        for f in &found {
            sqlx::query(
                "INSERT INTO contract_extractions (contract_id, field, value, evidence, matched, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(f.field)
            .bind(&f.value)
            .bind(&f.evidence)
            .bind(&p.text[f.start..f.end])
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            report.fields += 1;
        }
        for c in clauses_found {
            let evidence = super::clauses::evidence(c);
            // The words marked on the queue: the answer where the text writes it so.
            let matched = c
                .answer
                .as_deref()
                .filter(|a| evidence.contains(a))
                .unwrap_or("");
            sqlx::query(
                "INSERT INTO contract_extractions (contract_id, field, value, evidence, matched, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(super::clauses::field(&c.slug))
            .bind(super::clauses::value(c))
            .bind(&evidence)
            .bind(matched)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            report.fields += 1;
        }
        let number: String = sqlx::query_scalar("SELECT number FROM contracts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: "contract.import",
                object_type: "contract",
                object_id: id.to_string(),
                before: None,
                after: Some(json!({"file": p.filename, "sha256": p.sha256, "found": found.iter().map(|f| (f.field, f.value.clone())).collect::<Vec<_>>()})),
            },
        )
        .await?;
        report.numbers.push(number);
        report.imported += 1;
    }
    tx.commit().await?;
    Ok(report)
}

/// A value waiting for verification.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Pending {
    pub id: i64,
    pub contract_id: i64,
    pub number: String,
    pub title: String,
    pub field: String,
    pub value: String,
    /// The sentence it came from.
    pub evidence: String,
    /// The words of the sentence that gave the value.
    pub matched: String,
    /// What the field is, for people ("Governing law", or the CUAD category of a clause).
    #[sqlx(skip)]
    pub label: String,
}

impl Pending {
    /// The evidence split around the matched words: (before, matched, after).
    pub fn parts(&self) -> (String, String, String) {
        match self.evidence.find(&self.matched) {
            Some(i) if !self.matched.is_empty() => (
                self.evidence[..i].to_string(),
                self.matched.clone(),
                self.evidence[i + self.matched.len()..].to_string(),
            ),
            _ => (self.evidence.clone(), String::new(), String::new()),
        }
    }
    pub fn label(&self) -> &'static str {
        field_label(&self.field)
    }
}

pub fn field_label(f: &str) -> &'static str {
    match f {
        "counterparty" => "Counterparty",
        "our_entity" => "Our entity",
        "effective_on" => "Effective date",
        "governing_law" => "Governing law",
        "term_months" => "Term (months)",
        "auto_renew" => "Renews automatically",
        "renewal_months" => "Renewal period (months)",
        "notice_days" => "Notice period (days)",
        "termination_notice_days" => "Termination for convenience: notice (days)",
        f => super::clauses::label(f).unwrap_or("Field"),
    }
}

/// The values waiting for a person, oldest first (walls apply).
pub async fn queue(app: &App, viewer: Option<&CurrentUser>) -> Result<Vec<Pending>, AppError> {
    let mut rows: Vec<Pending> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT x.id, c.id AS contract_id, c.number, c.title, x.field, x.value, x.evidence, x.matched FROM contract_extractions x JOIN contracts c ON c.id = x.contract_id \
         WHERE x.state = 'pending' AND $1 = $1{} ORDER BY c.id, x.id LIMIT 1000",
        store::visible(viewer, 1)
    )))
    .bind(viewer.map(|u| u.id).unwrap_or(0))
    .fetch_all(app.db.pool())
    .await?;
    for r in &mut rows {
        r.label = field_label(&r.field).to_string();
    }
    Ok(rows)
}

/// Confirms a value (`value` None or the same) or corrects it; the contract takes the value.
pub async fn decide(
    app: &App,
    user: &CurrentUser,
    id: i64,
    value: Option<&str>,
) -> Result<(), AppError> {
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT contract_id, field, value, state FROM contract_extractions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?;
    let (cid, field, found, state) = row.ok_or_else(|| AppError::NotFound("value".into()))?;
    let c = store::get(app, Some(user), cid).await?;
    if state != "pending" {
        return Err(AppError::Conflict(format!(
            "This value is already {state}."
        )));
    }
    let v = value.map(str::trim).unwrap_or(&found).to_string();
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    if field.starts_with("clause:") {
        // A clause: the person confirms it, says it is not there ("No"), or writes the right
        // answer; the contract's own fields are not touched.
        if v.is_empty() || v.chars().count() > 500 {
            return Err(AppError::field(
                "value",
                "Write the answer (Yes, No, or the right value), at most 500 characters.",
            ));
        }
    } else {
        // The contract's fields with this one changed go through the same checks as the form.
        // (The expiry follows from the term: not carried over.)
        let mut input = ContractInput {
            expires_on: String::new(),
            matter_number: String::new(),
            parent_number: String::new(),
            business_reason: String::new(),
            ..c.to_input()
        };
        match field.as_str() {
            "counterparty" => input.counterparty = v.clone(),
            "our_entity" => input.our_entity = v.clone(),
            "effective_on" => input.effective_on = v.clone(),
            "governing_law" => input.governing_law = v.clone(),
            "term_months" => input.term_months = v.clone(),
            "auto_renew" => {
                input.auto_renew = if matches!(v.to_lowercase().as_str(), "yes" | "1" | "true") {
                    "1".into()
                } else {
                    String::new()
                }
            }
            "renewal_months" => input.renewal_months = v.clone(),
            "notice_days" => input.notice_days = v.clone(),
            "termination_notice_days" => input.termination_notice_days = v.clone(),
            _ => {
                return Err(AppError::field(
                    "field",
                    format!("`{field}` cannot be set here."),
                ));
            }
        }
        let checked = model::check(&input).map_err(|fs| {
            AppError::Validation(
                fs.into_iter()
                    .map(|f| {
                        FieldError::new("value", format!("{}: {}", field_label(&field), f.message))
                    })
                    .collect(),
            )
        })?;
        store::write_terms(&mut tx, cid, &checked, &now).await?;
    }
    let corrected = v != found;
    sqlx::query("UPDATE contract_extractions SET state = $1, decided_value = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
        .bind(if corrected { "corrected" } else { "confirmed" })
        .bind(&v)
        .bind(user.id)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    store::index(&mut tx, cid).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: if corrected {
                "contract.extraction_correct"
            } else {
                "contract.extraction_confirm"
            },
            object_type: "contract",
            object_id: cid.to_string(),
            before: Some(json!({"field": field, "value": found})),
            after: Some(json!({"field": field, "value": v})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_types_from_the_text() {
        assert_eq!(
            title_of("x.pdf", "MASTER SERVICES AGREEMENT\n\nbody"),
            "Master Services Agreement"
        );
        assert_eq!(type_of("Master Services Agreement"), "msa");
        assert_eq!(type_of("Mutual Non-Disclosure Agreement"), "nda");
        assert_eq!(title_of("supply_deal.txt", &"x".repeat(200)), "supply deal");
    }
}
