//! Clause finding on the CUAD taxonomy (the `clauses` crate) as the application uses it: the
//! clauses of an imported contract go to the verification queue (field `clause:<slug>`, the span
//! as evidence, the normalised answer where CUAD has one), the normalised answers fill metadata
//! the pattern rules missed, and the commands `lexops contracts clauses FILE`,
//! `lexops contracts train-clauses DIR` and `lexops bench cuad DIR`.

use serde_json::{Value, json};
use std::path::Path;

/// Lowest confidence at which a clause is put in front of a person.
pub const QUEUE_CONFIDENCE: f32 = 0.5;
/// Evidence shown per clause.
const MAX_EVIDENCE: usize = 1500;

/// The queue field of a category.
pub fn field(slug: &str) -> String {
    format!("clause:{slug}")
}

/// The category name of a queue field (`clause:governing_law` → "Governing Law").
pub fn label(field: &str) -> Option<&'static str> {
    let slug = field.strip_prefix("clause:")?;
    clauses::category_of(slug).map(|i| clauses::CATEGORIES[i])
}

/// The clauses worth a person's look in a contract's text.
pub fn found(text: &str) -> Vec<clauses::Clause> {
    clauses::find(text, QUEUE_CONFIDENCE)
}

/// What the queue shows for a clause: its normalised answer, or that it is there.
pub fn value(c: &clauses::Clause) -> String {
    c.answer.clone().unwrap_or_else(|| "Yes".into())
}

pub fn evidence(c: &clauses::Clause) -> String {
    let mut e: String = c.text.chars().take(MAX_EVIDENCE).collect();
    if e.len() < c.text.len() {
        e.push('…');
    }
    e
}

/// Metadata the pattern rules did not find, from the clauses' normalised answers: (field,
/// value, clause) for effective_on, governing_law, renewal_months, notice_days and (from a
/// termination-for-convenience clause's notice period) termination_notice_days.
pub fn metadata(found: &[clauses::Clause]) -> Vec<(&'static str, String, &clauses::Clause)> {
    let mut out = Vec::new();
    let answer = |cat: &str| {
        found
            .iter()
            .find(|c| c.category == cat && c.answer.is_some())
    };
    if let Some(c) = answer("Effective Date").or_else(|| answer("Agreement Date")) {
        out.push(("effective_on", c.answer.clone().unwrap_or_default(), c));
    }
    if let Some(c) = answer("Governing Law") {
        out.push(("governing_law", c.answer.clone().unwrap_or_default(), c));
    }
    use clauses::normalise::{in_days, in_months};
    if let Some(c) = answer("Renewal Term")
        && let Some(m) = c.answer.as_deref().and_then(in_months)
    {
        out.push(("renewal_months", m.to_string(), c));
    }
    if let Some(c) = found
        .iter()
        .find(|c| c.category == "Termination for Convenience")
        && let Some(d) = clauses::normalise::notice(&c.text)
            .as_deref()
            .and_then(in_days)
    {
        out.push(("termination_notice_days", d.to_string(), c));
    }
    if let Some(c) = answer("Notice Period to Terminate Renewal")
        && let Some(d) = c.answer.as_deref().and_then(in_days)
    {
        out.push(("notice_days", d.to_string(), c));
    }
    out
}

/// `lexops bench cuad DIR`: runs the shipped model over a folder laid out like CUAD (leaving out
/// the contracts it was trained on unless `include_trained`) and reports CUAD's scores.
pub fn bench(dir: &Path, include_trained: bool) -> anyhow::Result<Value> {
    let (docs, missing) = clauses::cuad::load(dir)?;
    if docs.is_empty() {
        anyhow::bail!(
            "{}: no contract of master_clauses.csv has its text in contracts/",
            dir.display()
        );
    }
    let model = clauses::Model::builtin();
    let r = clauses::cuad::run(model, &docs, include_trained);
    if r.contracts == 0 {
        anyhow::bail!(
            "{}: the model was trained on every contract here; pass --include-trained to score them anyway",
            dir.display()
        );
    }
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let mut per = serde_json::Map::new();
    for (name, c) in &r.scores.per_category {
        per.insert(
            name.clone(),
            json!({
                "labels": c.labels,
                "aupr": round(c.aupr),
                "precision_at_80_recall": round(c.precision_at_80_recall),
                "precision_at_90_recall": round(c.precision_at_90_recall),
                "precision_at_half_confidence": c.precision_at_half.map(round),
                "recall_at_half_confidence": c.recall_at_half.map(round),
            }),
        );
    }
    let o = &r.scores.overall;
    let max_recall = r
        .scores
        .curve
        .iter()
        .map(|x| x.2)
        .filter(|x| !x.is_nan())
        .fold(0.0, f64::max);
    let recall_points: Vec<Value> = r
        .scores
        .curve
        .iter()
        .filter(|(t, _, _)| [0.9f32, 0.7, 0.5, 0.3, 0.1, 0.01, 0.001, 0.0].contains(t))
        .map(|(t, p, rc)| json!({"threshold": (*t as f64 * 1000.0).round() / 1000.0, "precision": if p.is_nan() { None } else { Some(round(*p)) }, "recall": round(*rc)}))
        .collect();
    Ok(json!({
        "suite": "cuad",
        "dir": dir.display().to_string(),
        "contracts": r.contracts,
        "skipped_trained_on": r.skipped_trained_on,
        "rows_without_text": missing.len(),
        "labels": o.labels,
        "precision_at_80_recall": round(o.precision_at_80_recall),
        "precision_at_90_recall": round(o.precision_at_90_recall),
        "aupr": round(o.aupr),
        "max_recall": round(max_recall),
        "curve": recall_points,
        "per_category": per,
        "normalised_answers": r.answers,
        "contracts_per_second": (r.contracts_per_second * 10.0).round() / 10.0,
        "seconds": round(r.seconds),
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "predictions_per_category": clauses::cuad::PER_CATEGORY,
    }))
}

/// `lexops contracts clauses FILE`.
pub fn cli_find(file: &Path, min: f32, json_out: bool) -> anyhow::Result<i32> {
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let name = file.to_string_lossy();
    let kind = evidence::kind_of(&name, &bytes);
    let text = match kind {
        evidence::Kind::Other => anyhow::bail!("{}: not a PDF, Word or text file", file.display()),
        k => {
            evidence::extract(k, &bytes, &evidence::Limits::default())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
                .text
        }
    };
    let found = clauses::find(&text, min.clamp(0.0, 1.0));
    if json_out {
        println!("{}", serde_json::to_string(&found)?);
        return Ok(0);
    }
    if found.is_empty() {
        println!("no clause found with confidence ≥ {min}");
    }
    for c in &found {
        let answer = c
            .answer
            .as_deref()
            .map(|a| format!(" → {a}"))
            .unwrap_or_default();
        let snippet: String = c.text.chars().take(160).collect();
        println!(
            "{:<36} {:>4.0}%{answer}\n    {snippet}{}",
            c.category,
            c.confidence * 100.0,
            if snippet.len() < c.text.len() {
                "…"
            } else {
                ""
            }
        );
    }
    Ok(0)
}

/// `lexops contracts train-clauses DIR --out FILE`.
pub fn cli_train(dir: &Path, out: &Path, all: bool) -> anyhow::Result<i32> {
    let (docs, _) = clauses::cuad::load(dir)?;
    let train: Vec<clauses::TrainDoc<'_>> = docs
        .iter()
        .filter(|d| all || !clauses::cuad::held_out(&d.name))
        .map(|d| clauses::TrainDoc {
            name: &d.name,
            text: &d.text,
            labels: &d.labels,
        })
        .collect();
    if train.is_empty() {
        anyhow::bail!("{}: no labelled contract to train on", dir.display());
    }
    let started = std::time::Instant::now();
    let model = clauses::train(&train, &clauses::TrainOptions::default());
    std::fs::write(out, model.to_bytes()).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    eprintln!(
        "trained on {} contracts ({} held out) in {:.1} s; {} weights written to {}",
        train.len(),
        docs.len() - train.len(),
        started.elapsed().as_secs_f64(),
        model.weights(),
        out.display()
    );
    Ok(0)
}

/// A clause found in a contract, as the API and the page show it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FoundClause {
    /// The CUAD category ("Governing Law").
    pub category: String,
    pub slug: String,
    /// The evidence: the words of the contract that make the clause.
    pub text: String,
    /// 0–1.
    pub confidence: f32,
    /// The normalised answer where CUAD has one (a date, a duration, a jurisdiction).
    pub answer: Option<String>,
    /// Byte offsets of the evidence in the version's text.
    pub start: usize,
    pub end: usize,
}

/// The clauses of a contract's newest version (not attachments), read on demand.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ContractClauses {
    /// The version read (none: the contract has no version with text).
    pub version: Option<i64>,
    pub min_confidence: f32,
    pub clauses: Vec<FoundClause>,
}

/// Finds the clauses of the newest version of a contract the viewer may see.
pub async fn of_contract(
    app: &crate::App,
    viewer: &crate::platform::access::CurrentUser,
    id: i64,
    min_confidence: f32,
) -> Result<ContractClauses, crate::platform::error::AppError> {
    super::store::get(app, Some(viewer), id).await?;
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT version, text FROM contract_versions WHERE contract_id = $1 AND source <> 'attachment' ORDER BY version DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?;
    let min = if min_confidence.is_finite() {
        min_confidence.clamp(0.0, 1.0)
    } else {
        QUEUE_CONFIDENCE
    };
    let Some((version, text)) = row else {
        return Ok(ContractClauses {
            version: None,
            min_confidence: min,
            clauses: vec![],
        });
    };
    let found = tokio::task::spawn_blocking(move || clauses::find(&text, min))
        .await
        .map_err(|e| crate::platform::error::AppError::Internal(e.into()))?;
    Ok(ContractClauses {
        version: Some(version),
        min_confidence: min,
        clauses: found
            .into_iter()
            .map(|c| FoundClause {
                category: c.category.to_string(),
                slug: c.slug,
                text: c.text,
                confidence: c.confidence,
                answer: c.answer,
                start: c.start,
                end: c.end,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_fill_the_terms_the_patterns_missed() {
        let text = "SUPPLY AGREEMENT\n\nThis Supply Agreement is made as of January 5, 2024 between Acme Inc. and Beta LLC.\n\n7. Termination. Either party may terminate this Agreement for convenience at any time upon thirty (30) days prior written notice to the other party.\n\n8. This Agreement is governed by the laws of the State of Texas.\n";
        let f = found(text);
        let m = metadata(&f);
        let get = |k: &str| m.iter().find(|x| x.0 == k).map(|x| x.1.as_str());
        assert_eq!(get("termination_notice_days"), Some("30"), "{f:#?}");
        assert_eq!(get("governing_law"), Some("Texas"));
        assert_eq!(get("effective_on"), Some("2024-01-05"));
        assert_eq!(
            label("clause:termination_for_convenience"),
            Some("Termination for Convenience")
        );
        assert_eq!(label("clause:nope"), None);
        let law = f.iter().find(|c| c.slug == "governing_law").unwrap();
        assert_eq!(value(law), "Texas");
        assert!(evidence(law).contains("State of Texas"));
    }
}
