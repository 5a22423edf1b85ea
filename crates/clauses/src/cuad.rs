//! A folder laid out like CUAD (`contracts/*.txt` and `master_clauses.csv`), and CUAD's own
//! evaluation: a prediction matches a labelled clause when their word sets overlap with Jaccard
//! ≥ 0.5 after lower-casing and removing `. , ; :` (for Parties, containing the label also
//! counts); true positives are counted per label, false positives per unmatched prediction; the
//! precision–recall curve sweeps the confidence threshold over 0.99, 0.98, …, 0.01, 0.001, 0;
//! precisions are made monotone from the high-recall end; AUPR is the trapezoid area.

use crate::CATEGORIES;
use std::path::{Path, PathBuf};

/// Reading the folder failed.
#[derive(Debug, thiserror::Error)]
pub enum CuadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// One labelled contract.
#[derive(Clone, Debug)]
pub struct Doc {
    pub name: String,
    pub text: String,
    /// Per category (in [`CATEGORIES`] order), the labelled clause texts.
    pub labels: Vec<Vec<String>>,
    /// Per category, CUAD's normalised answer column (empty where there is none).
    pub answers: Vec<String>,
}

/// A contract's name reduced to letters and digits, lower case, without `.pdf`/`.txt`: the CSV's
/// file names and the text files' names differ in case, spaces and punctuation.
pub fn normalise_name(name: &str) -> String {
    let n = name.trim();
    let lower = n.to_lowercase();
    let n = lower
        .strip_suffix(".pdf")
        .or_else(|| lower.strip_suffix(".txt"))
        .unwrap_or(&lower);
    n.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The fixed part of the development split kept out of training and tuning, on which the
/// scores are reported (one contract in five, chosen by a hash of its name).
pub fn held_out(name: &str) -> bool {
    crate::model::name_hash(name) % 5 == 2
}

/// Another fifth, used to choose features and settings while developing (the shipped model is
/// then trained on it too).
pub fn validation(name: &str) -> bool {
    crate::model::name_hash(name).is_multiple_of(5)
}

/// Parses a Python list-of-strings literal as written in `master_clauses.csv`
/// (`['a', "b's"]`).
pub fn python_list(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| {
            format!(
                "expected a [list], found {:?}",
                s.chars().take(30).collect::<String>()
            )
        })?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(q) = chars.next() else { break };
        if q != '\'' && q != '"' {
            return Err(format!("expected a quoted string, found {q:?}"));
        }
        let mut cur = String::new();
        loop {
            match chars.next() {
                None => return Err("a string is not closed".into()),
                Some('\\') => match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('t') => cur.push('\t'),
                    Some('x') => {
                        let h: String = chars.by_ref().take(2).collect();
                        let v = u32::from_str_radix(&h, 16).map_err(|_| "bad \\x escape")?;
                        cur.push(char::from_u32(v).ok_or("bad \\x escape")?);
                    }
                    Some(c) => cur.push(c),
                    None => return Err("a string ends with \\".into()),
                },
                Some(c) if c == q => break,
                Some(c) => cur.push(c),
            }
        }
        out.push(cur);
    }
    Ok(out)
}

/// Reads the folder: every row of `master_clauses.csv` whose contract text is in `contracts/`.
/// Returns the contracts and the names of rows without a text file.
pub fn load(dir: &Path) -> Result<(Vec<Doc>, Vec<String>), CuadError> {
    let csv_path = dir.join("master_clauses.csv");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CuadError::Io { path, source }
    };
    let contracts = dir.join("contracts");
    let mut files = std::collections::HashMap::new();
    for e in std::fs::read_dir(&contracts).map_err(io(&contracts))? {
        let e = e.map_err(io(&contracts))?;
        let n = e.file_name().to_string_lossy().to_string();
        if n.to_lowercase().ends_with(".txt") {
            files.insert(normalise_name(&n), e.path());
        }
    }
    let bad = |line: u64, message: String| CuadError::Csv {
        path: csv_path.clone(),
        line,
        message,
    };
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&csv_path)
        .map_err(|e| bad(0, e.to_string()))?;
    let headers = r.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let file_col = col("Filename").ok_or_else(|| bad(1, "no Filename column".into()))?;
    let mut cols = Vec::new();
    for c in CATEGORIES {
        let l = col(c).ok_or_else(|| bad(1, format!("no {c:?} column")))?;
        cols.push((l, col(&format!("{c}-Answer"))));
    }
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let name = rec.get(file_col).unwrap_or("").to_string();
        let Some(path) = files.get(&normalise_name(&name)) else {
            missing.push(name);
            continue;
        };
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let mut labels = Vec::new();
        let mut answers = Vec::new();
        for (i, &(l, a)) in cols.iter().enumerate() {
            let v = python_list(rec.get(l).unwrap_or("[]"))
                .map_err(|m| bad(line, format!("column {:?}: {m}", CATEGORIES[i])))?;
            labels.push(v.into_iter().filter(|x| !x.is_empty()).collect());
            answers.push(a.and_then(|a| rec.get(a)).unwrap_or("").to_string());
        }
        docs.push(Doc {
            name: path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or(name),
            text,
            labels,
            answers,
        });
    }
    Ok((docs, missing))
}

/// The word set CUAD compares.
#[derive(Clone, Debug)]
pub struct Words(Vec<String>);

impl Words {
    pub fn of(s: &str) -> Words {
        let cleaned: String = s
            .chars()
            .filter(|c| !matches!(c, '.' | ',' | ';' | ':'))
            .collect::<String>()
            .to_lowercase()
            .replace('/', " ");
        let mut w: Vec<String> = cleaned.split(' ').map(str::to_string).collect();
        w.sort_unstable();
        w.dedup();
        Words(w)
    }

    pub fn jaccard(&self, other: &Words) -> f64 {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j, mut inter) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    inter += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        let union = a.len() + b.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// Whether a predicted text counts as finding the labelled text.
pub fn matches(
    category: usize,
    label: &str,
    label_words: &Words,
    pred: &str,
    pred_words: &Words,
) -> bool {
    label_words.jaccard(pred_words) >= 0.5 || (category == crate::PARTIES && pred.contains(label))
}

/// One contract × category: the labelled texts and the predictions with their confidence.
pub struct Question {
    pub category: usize,
    pub labels: Vec<String>,
    pub predictions: Vec<(String, f32)>,
}

/// The thresholds CUAD's evaluation sweeps.
pub fn thresholds() -> Vec<f32> {
    let mut t: Vec<f32> = (1..=99).rev().map(|i| i as f32 / 100.0).collect();
    t.push(0.001);
    t.push(0.0);
    t
}

/// Scores of one curve.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Curve {
    pub aupr: f64,
    pub precision_at_80_recall: f64,
    pub precision_at_90_recall: f64,
    /// Labelled clauses.
    pub labels: usize,
    /// At confidence 0.5: precision and recall.
    pub precision_at_half: Option<f64>,
    pub recall_at_half: Option<f64>,
}

/// Overall and per-category scores.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Scores {
    pub overall: Curve,
    /// The overall curve: (threshold, precision, recall) at every threshold swept.
    pub curve: Vec<(f32, f64, f64)>,
    pub per_category: Vec<(String, Curve)>,
}

struct Prepared {
    category: usize,
    labels: Vec<(String, Words)>,
    /// Predictions with confidence, and which labels each matches.
    predictions: Vec<(f32, Vec<usize>)>,
}

fn prepare(q: &Question) -> Prepared {
    let labels: Vec<(String, Words)> = q.labels.iter().map(|l| (l.clone(), Words::of(l))).collect();
    // Predictions are keyed by text, as in CUAD's evaluation (the highest confidence wins).
    let mut by_text: Vec<(&str, f32)> = Vec::new();
    for (t, p) in &q.predictions {
        if t.is_empty() {
            continue;
        }
        match by_text.iter_mut().find(|(x, _)| x == t) {
            Some(e) => e.1 = e.1.max(*p),
            None => by_text.push((t, *p)),
        }
    }
    let predictions = by_text
        .into_iter()
        .map(|(t, p)| {
            let w = Words::of(t);
            let m = labels
                .iter()
                .enumerate()
                .filter(|(_, (l, lw))| matches(q.category, l, lw, t, &w))
                .map(|(i, _)| i)
                .collect();
            (p, m)
        })
        .collect();
    Prepared {
        category: q.category,
        labels,
        predictions,
    }
}

fn pr_at(qs: &[&Prepared], conf: f32) -> (f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for q in qs {
        let live = q.predictions.iter().filter(|(p, _)| *p > conf);
        if q.labels.is_empty() {
            fp += live.count();
            continue;
        }
        let mut found = vec![false; q.labels.len()];
        for (_, m) in live {
            if m.is_empty() {
                fp += 1;
            }
            for &i in m {
                found[i] = true;
            }
        }
        let t = found.iter().filter(|x| **x).count();
        tp += t;
        fn_ += found.len() - t;
    }
    let p = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        f64::NAN
    };
    let r = if tp + fn_ > 0 {
        tp as f64 / (tp + fn_) as f64
    } else {
        f64::NAN
    };
    (p, r)
}

fn curve(qs: &[&Prepared]) -> Curve {
    let mut precisions = vec![1.0];
    let mut recalls = vec![0.0];
    let mut half = (None, None);
    for t in thresholds() {
        let (p, r) = pr_at(qs, t);
        if t == 0.5 {
            half = (
                Some(p).filter(|x| !x.is_nan()),
                Some(r).filter(|x| !x.is_nan()),
            );
        }
        precisions.push(p);
        recalls.push(r);
    }
    // Monotone from the high-recall end (an undefined precision takes the best seen).
    let mut best = f64::NEG_INFINITY;
    for p in precisions.iter_mut().rev() {
        if !p.is_nan() {
            best = best.max(*p);
        }
        *p = best;
    }
    let labels = qs.iter().map(|q| q.labels.len()).sum();
    if recalls.iter().skip(1).any(|r| r.is_nan()) {
        return Curve {
            labels,
            ..Curve::default()
        };
    }
    let mut aupr = 0.0;
    for i in 1..recalls.len() {
        aupr += (recalls[i] - recalls[i - 1]) * (precisions[i] + precisions[i - 1]) / 2.0;
    }
    let at = |r: f64| {
        precisions
            .iter()
            .zip(&recalls)
            .find(|(_, x)| **x >= r)
            .map_or(0.0, |(p, _)| *p)
    };
    Curve {
        aupr,
        precision_at_80_recall: at(0.8),
        precision_at_90_recall: at(0.9),
        labels,
        precision_at_half: half.0,
        recall_at_half: half.1,
    }
}

/// CUAD's scores for these questions, overall and per category.
pub fn evaluate(questions: &[Question]) -> Scores {
    let prepared: Vec<Prepared> = questions.iter().map(prepare).collect();
    let all: Vec<&Prepared> = prepared.iter().collect();
    let overall = curve(&all);
    let curve_points = thresholds()
        .into_iter()
        .map(|t| {
            let (p, r) = pr_at(&all, t);
            (t, p, r)
        })
        .collect();
    let per_category = (0..CATEGORIES.len())
        .map(|c| {
            let qs: Vec<&Prepared> = prepared.iter().filter(|q| q.category == c).collect();
            (CATEGORIES[c].to_string(), curve(&qs))
        })
        .collect();
    Scores {
        overall,
        curve: curve_points,
        per_category,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuad_answers_compare_with_ours() {
        assert_eq!(
            cuad_answer("Agreement Date", "6/21/1999"),
            Some("1999-06-21".into())
        );
        assert_eq!(cuad_answer("Agreement Date", "[]/[]/2004"), None);
        assert!(same_answer(
            "Renewal Term",
            "Successive 1 year",
            &cuad_answer("Renewal Term", "successive 1 years").unwrap()
        ));
        assert!(same_answer(
            "Governing Law",
            "New York",
            &cuad_answer("Governing Law", "New York").unwrap()
        ));
        assert!(!same_answer(
            "Notice Period to Terminate Renewal",
            "60 days",
            &cuad_answer("x", "30 days").unwrap()
        ));
    }

    #[test]
    fn python_lists() {
        assert_eq!(python_list("[]").unwrap(), Vec::<String>::new());
        assert_eq!(
            python_list(r#"['a, b', "it's", 'x\'y']"#).unwrap(),
            ["a, b", "it's", "x'y"]
        );
        assert!(python_list("['open").is_err());
        assert!(python_list("nope").is_err());
    }

    #[test]
    fn jaccard_as_cuad() {
        let a = Words::of("This Agreement is governed by the laws of California.");
        let b = Words::of("this agreement is governed by the laws of california");
        assert_eq!(a.jaccard(&b), 1.0);
        let c = Words::of("governed by California law");
        assert!(a.jaccard(&c) < 0.5);
        assert!(matches(
            1,
            "Acme",
            &Words::of("Acme"),
            "between Acme Inc. and Beta",
            &Words::of("between Acme Inc. and Beta")
        ));
        assert!(!matches(
            7,
            "Acme",
            &Words::of("Acme"),
            "between Acme Inc. and Beta",
            &Words::of("between Acme Inc. and Beta")
        ));
    }

    #[test]
    fn curve_by_hand() {
        // Two labels; one found with 0.9, a wrong prediction at 0.6, the other found at 0.3.
        let q = Question {
            category: 7,
            labels: vec![
                "governed by the laws of Delaware".into(),
                "venue is in Wilmington Delaware".into(),
            ],
            predictions: vec![
                ("governed by the laws of Delaware".into(), 0.9),
                ("the price is ten dollars".into(), 0.6),
                ("venue is in Wilmington Delaware".into(), 0.3),
            ],
        };
        let s = evaluate(&[q]);
        // Recall reaches 1.0 at threshold 0.29 with precision 2/3.
        assert!((s.overall.precision_at_80_recall - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.overall.precision_at_half, Some(0.5));
        assert_eq!(s.overall.recall_at_half, Some(0.5));
        // Area: recall 0→0.5 at precision 1, then 0.5→1 at precision 2/3.
        let expected = 0.5 * 1.0 + 0.5 * (2.0 / 3.0);
        assert!(
            (s.overall.aupr - expected).abs() < 1e-9,
            "{}",
            s.overall.aupr
        );
    }
}

/// What a run over a folder measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub contracts: usize,
    /// Contracts of the folder left out because the model was trained on them.
    pub skipped_trained_on: usize,
    pub contracts_per_second: f64,
    pub seconds: f64,
    pub scores: Scores,
    /// The normalised answers of the best span (confidence ≥ 0.5) against CUAD's answer column.
    pub answers: Vec<AnswerScore>,
}

/// Normalised answers of one category compared with CUAD's.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AnswerScore {
    pub category: String,
    /// Contracts where CUAD gives a usable answer (a whole date, a duration, a jurisdiction).
    pub labelled: usize,
    /// Of those, contracts where we give one.
    pub answered: usize,
    /// Of those, answers equal to CUAD's.
    pub correct: usize,
}

/// The categories whose CUAD answer column can be compared.
const ANSWERED: [&str; 6] = [
    "Agreement Date",
    "Effective Date",
    "Expiration Date",
    "Renewal Term",
    "Notice Period to Terminate Renewal",
    "Governing Law",
];

/// CUAD's answer in our form, or None when it is not one we can compare (a partial date
/// `[]/[]/2004`, an empty cell).
fn cuad_answer(category: &str, a: &str) -> Option<String> {
    let a = a.trim();
    if a.is_empty() || a.contains("[]") || a.eq_ignore_ascii_case("no") {
        return None;
    }
    match category {
        "Agreement Date" | "Effective Date" | "Expiration Date" => {
            if a.eq_ignore_ascii_case("perpetual") {
                return Some("perpetual".into());
            }
            let p: Vec<u32> = a.split('/').filter_map(|x| x.trim().parse().ok()).collect();
            (p.len() == 3).then(|| format!("{:04}-{:02}-{:02}", p[2], p[0], p[1]))
        }
        "Governing Law" => Some(a.to_lowercase()),
        _ => Some(duration_key(a)),
    }
}

fn duration_key(d: &str) -> String {
    d.to_lowercase()
        .split_whitespace()
        .filter(|w| *w != "successive")
        .map(|w| w.trim_end_matches('s'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_answer(category: &str, ours: &str, theirs: &str) -> bool {
    match category {
        "Governing Law" => {
            let o = ours.to_lowercase();
            o == theirs || theirs.contains(&o) || o.contains(theirs)
        }
        "Agreement Date" | "Effective Date" | "Expiration Date" => ours.to_lowercase() == theirs,
        _ => duration_key(ours) == theirs,
    }
}

fn answer_scores(docs: &[&Doc], found: &[Vec<crate::Finding>]) -> Vec<AnswerScore> {
    ANSWERED
        .iter()
        .map(|&name| {
            let c = CATEGORIES
                .iter()
                .position(|x| *x == name)
                .expect("a CUAD category");
            let mut s = AnswerScore {
                category: name.to_string(),
                ..Default::default()
            };
            for (d, f) in docs.iter().zip(found) {
                let Some(theirs) = cuad_answer(name, &d.answers[c]) else {
                    continue;
                };
                s.labelled += 1;
                let ours = f
                    .iter()
                    .find(|x| x.category == c && x.confidence >= 0.5)
                    .and_then(|x| crate::normalise::answer(c, &d.text[x.start..x.end]));
                if let Some(o) = ours {
                    s.answered += 1;
                    if same_answer(name, &o, &theirs) {
                        s.correct += 1;
                    }
                }
            }
            s
        })
        .collect()
}

/// Predictions per contract and category are capped like a QA model's n-best list.
pub const PER_CATEGORY: usize = 20;

/// Runs the model over every contract of `docs` it was not trained on and scores it.
pub fn run(model: &crate::Model, docs: &[Doc], include_trained: bool) -> Report {
    let chosen: Vec<&Doc> = docs
        .iter()
        .filter(|d| include_trained || !model.trained_on(&d.name))
        .collect();
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let found: Vec<Vec<crate::Finding>> = crate::model::parallel(&chosen, threads, |d| {
        model.extract(&d.text, PER_CATEGORY, 0.0)
    });
    let seconds = started.elapsed().as_secs_f64();
    let answers = answer_scores(&chosen, &found);
    let mut questions = Vec::new();
    for (d, f) in chosen.iter().zip(found) {
        let mut per: Vec<Vec<(String, f32)>> = vec![Vec::new(); CATEGORIES.len()];
        for x in f {
            per[x.category].push((d.text[x.start..x.end].to_string(), x.confidence));
        }
        for (c, preds) in per.into_iter().enumerate() {
            questions.push(Question {
                category: c,
                labels: d.labels[c].clone(),
                predictions: preds,
            });
        }
    }
    Report {
        contracts: chosen.len(),
        skipped_trained_on: docs.len() - chosen.len(),
        contracts_per_second: chosen.len() as f64 / seconds.max(1e-9),
        seconds,
        scores: evaluate(&questions),
        answers,
    }
}
