//! Retention schedules as data.
//!
//! A **file plan** is a list of record [`Category`]s, each with a [`RetentionRule`]: what starts
//! the clock (the record's creation, or an event such as a contract's expiry or a matter's
//! close), the [`Cutoff`] that rounds that date up to the end of its month, calendar year or
//! fiscal year, the retention [`Period`] that runs from the cutoff, and the [`Disposition`]
//! that follows (destroy, review, transfer, or keep permanently), with the legal citation.
//!
//! [`RetentionRule::due`] gives the first day a record may be disposed of, or why it is not
//! due yet ([`Due`]). [`parse_schedule`] reads a file plan from CSV and reports every problem
//! with its line and column; [`write_schedule`] writes one back. Legal holds are not this
//! crate's business: a record under hold is never disposed of, whatever its date says, and the
//! store enforces that.

use std::fmt;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What starts a record's retention clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The date the record was created.
    Created,
    /// A named event recorded against the record (`contract_expiry`, `employee_termination`,
    /// `matter_closed`, …): lower-case letters, digits and underscores.
    Event(String),
}

/// How long a record is kept after its cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Years(u16),
    Months(u16),
    Days(u32),
    /// Never disposed of.
    Permanent,
}

/// Where the clock's start is rounded to before the period runs: records are cut off in
/// blocks (a month's, a year's) and disposed of together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cutoff {
    /// The period runs from the trigger date itself.
    None,
    /// From the end of the trigger's month.
    Month,
    /// From the end of the trigger's calendar year.
    Year,
    /// From the end of the trigger's fiscal year (its first month is a department setting).
    FiscalYear,
}

/// What happens to a record when its retention ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Destroyed (after an authorised reviewer approves), with a certificate.
    Destroy,
    /// Reviewed again: kept longer or destroyed, case by case.
    Review,
    /// Transferred to an archive.
    Transfer,
    /// Kept permanently.
    Keep,
}

/// A category's retention rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    pub trigger: Trigger,
    pub period: Period,
    pub cutoff: Cutoff,
    pub action: Disposition,
}

/// A record category of the file plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Short unique code (`LEG-100`).
    pub code: String,
    pub title: String,
    pub description: String,
    /// Who owns the category (a department or a person).
    pub owner: String,
    pub rule: RetentionRule,
    /// The law or policy the rule comes from.
    pub citation: String,
}

/// When a record may be disposed of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// From this day on.
    On(Date),
    /// Not before the named event is recorded.
    AwaitingEvent(String),
    /// Kept permanently.
    Never,
}

impl Due {
    /// The date, when there is one.
    pub fn date(&self) -> Option<Date> {
        match self {
            Due::On(d) => Some(*d),
            _ => None,
        }
    }
}

impl RetentionRule {
    /// The first day a record created on `created`, with the events `event` knows of, may be
    /// disposed of. `fiscal_year_start` is the first month (1–12) of the department's fiscal
    /// year. The clock starts at the trigger date, or on the day after the end of its cutoff
    /// block; the record is due once the period has run from there.
    pub fn due(
        &self,
        created: Date,
        event: impl Fn(&str) -> Option<Date>,
        fiscal_year_start: i8,
    ) -> Due {
        if self.period == Period::Permanent || self.action == Disposition::Keep {
            return Due::Never;
        }
        let base = match &self.trigger {
            Trigger::Created => created,
            Trigger::Event(name) => match event(name) {
                Some(d) => d,
                None => return Due::AwaitingEvent(name.clone()),
            },
        };
        let start = match self.cutoff {
            Cutoff::None => Some(base),
            Cutoff::Month => base.last_of_month().tomorrow().ok(),
            Cutoff::Year => base.last_of_year().tomorrow().ok(),
            Cutoff::FiscalYear => fiscal_year_end(base, fiscal_year_start).tomorrow().ok(),
        };
        let due = start.and_then(|s| match self.period {
            Period::Years(n) => s.checked_add(i64::from(n).years()).ok(),
            Period::Months(n) => s.checked_add(i64::from(n).months()).ok(),
            Period::Days(n) => s.checked_add(i64::from(n).days()).ok(),
            Period::Permanent => None,
        });
        match due {
            Some(d) => Due::On(d),
            // Beyond the calendar's end (year 9999): in practice, never.
            None => Due::Never,
        }
    }
}

/// The last day of the fiscal year that `d` falls in, for a fiscal year starting in month
/// `start` (1 = the calendar year).
pub fn fiscal_year_end(d: Date, start: i8) -> Date {
    let start = start.clamp(1, 12);
    if start == 1 {
        return d.last_of_year();
    }
    // The fiscal year ends on the last day of month `start - 1`, in this year if `d` is before
    // `start`, else in the next one.
    let year = if d.month() >= start {
        d.year().saturating_add(1)
    } else {
        d.year()
    };
    Date::new(year, start - 1, 1)
        .map(|m| m.last_of_month())
        .unwrap_or(Date::MAX)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Years(n) => write!(f, "{n}y"),
            Period::Months(n) => write!(f, "{n}m"),
            Period::Days(n) => write!(f, "{n}d"),
            Period::Permanent => f.write_str("permanent"),
        }
    }
}

impl Period {
    /// Reads `7y`, `7 years`, `18m`, `18 months`, `90d`, `90 days` or `permanent`.
    pub fn parse(s: &str) -> Result<Period, String> {
        let t = s.trim().to_ascii_lowercase();
        if t == "permanent" || t == "permanently" {
            return Ok(Period::Permanent);
        }
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        let unit = t[digits.len()..].trim();
        let n: u32 = digits
            .parse()
            .map_err(|_| format!("{s:?} is not a period: write e.g. 7y, 18m, 90d or permanent"))?;
        let too_long = || format!("{s:?} is longer than 500 years");
        match unit {
            "y" | "year" | "years" => u16::try_from(n)
                .ok()
                .filter(|n| *n <= 500)
                .map(Period::Years)
                .ok_or_else(too_long),
            "m" | "month" | "months" => u16::try_from(n)
                .ok()
                .filter(|n| *n <= 6000)
                .map(Period::Months)
                .ok_or_else(too_long),
            "d" | "day" | "days" => Some(n)
                .filter(|n| *n <= 182_500)
                .map(Period::Days)
                .ok_or_else(too_long),
            _ => Err(format!(
                "{s:?} is not a period: write e.g. 7y, 18m, 90d or permanent"
            )),
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Created => f.write_str("created"),
            Trigger::Event(e) => f.write_str(e),
        }
    }
}

impl Trigger {
    /// `created`, or an event name (lower-case letters, digits, underscores; starting with a
    /// letter).
    pub fn parse(s: &str) -> Result<Trigger, String> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if t == "created" || t == "creation" {
            return Ok(Trigger::Created);
        }
        let ok = t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && t.len() <= 60
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Trigger::Event(t))
        } else {
            Err(format!(
                "{s:?} is not a trigger: write created, or an event name such as contract_expiry"
            ))
        }
    }
}

impl fmt::Display for Cutoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cutoff::None => "none",
            Cutoff::Month => "month",
            Cutoff::Year => "year",
            Cutoff::FiscalYear => "fiscal_year",
        })
    }
}

impl Cutoff {
    /// `none` (or empty), `month`, `year` or `fiscal_year`.
    pub fn parse(s: &str) -> Result<Cutoff, String> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "" | "none" => Ok(Cutoff::None),
            "month" | "end_of_month" => Ok(Cutoff::Month),
            "year" | "calendar_year" | "end_of_year" => Ok(Cutoff::Year),
            "fiscal_year" | "end_of_fiscal_year" | "fy" => Ok(Cutoff::FiscalYear),
            _ => Err(format!(
                "{s:?} is not a cutoff: write none, month, year or fiscal_year"
            )),
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Disposition::Destroy => "destroy",
            Disposition::Review => "review",
            Disposition::Transfer => "transfer",
            Disposition::Keep => "keep",
        })
    }
}

impl Disposition {
    /// `destroy`, `review`, `transfer` or `keep` (`permanent`).
    pub fn parse(s: &str) -> Result<Disposition, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "destroy" => Ok(Disposition::Destroy),
            "review" => Ok(Disposition::Review),
            "transfer" => Ok(Disposition::Transfer),
            "keep" | "permanent" | "keep_permanently" => Ok(Disposition::Keep),
            _ => Err(format!(
                "{s:?} is not a disposition: write destroy, review, transfer or keep"
            )),
        }
    }
}

impl RetentionRule {
    /// Checks that the parts agree: a permanent period goes with `keep`, and `keep` with a
    /// permanent period.
    pub fn check(&self) -> Result<(), String> {
        match (self.period, self.action) {
            (Period::Permanent, Disposition::Keep) => Ok(()),
            (Period::Permanent, a) => Err(format!(
                "a permanent period cannot end in {a}: use keep, or give a period"
            )),
            (p, Disposition::Keep) => Err(format!(
                "keep means permanently: use the period permanent, not {p}"
            )),
            _ => Ok(()),
        }
    }

    /// The rule in words (`7 years after contract_expiry, cut off at fiscal-year end, then
    /// destroy`).
    pub fn describe(&self) -> String {
        if self.period == Period::Permanent {
            return "keep permanently".into();
        }
        let period = match self.period {
            Period::Years(n) => plural(n.into(), "year"),
            Period::Months(n) => plural(n.into(), "month"),
            Period::Days(n) => plural(n.into(), "day"),
            Period::Permanent => unreachable!(),
        };
        let after = match &self.trigger {
            Trigger::Created => "creation".to_string(),
            Trigger::Event(e) => e.replace('_', " "),
        };
        let cutoff = match self.cutoff {
            Cutoff::None => "",
            Cutoff::Month => ", cut off at month end",
            Cutoff::Year => ", cut off at year end",
            Cutoff::FiscalYear => ", cut off at fiscal-year end",
        };
        format!("{period} after {after}{cutoff}, then {}", self.action)
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// The columns of a file plan in CSV, in order.
pub const COLUMNS: [&str; 9] = [
    "code",
    "title",
    "description",
    "owner",
    "trigger",
    "period",
    "cutoff",
    "disposition",
    "citation",
];

/// A problem in a file plan's CSV: where, and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct Problem {
    /// 1-based line of the CSV (the header is line 1).
    pub line: u64,
    /// The column's name.
    pub column: String,
    pub message: String,
}

/// Reads a file plan from CSV (header row with [`COLUMNS`]; `description`, `owner`, `cutoff`
/// and `citation` may be left out or empty). Returns every category, or every problem found:
/// a file with any problem gives no categories.
pub fn parse_schedule(input: &[u8]) -> Result<Vec<Category>, Vec<Problem>> {
    let mut problems = vec![];
    let problem = |line: u64, column: &str, message: String| Problem {
        line,
        column: column.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => return Err(vec![problem(1, "", format!("unreadable CSV header: {e}"))]),
    };
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(problem(
                1,
                h,
                format!(
                    "unknown column {h:?}; the columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    for required in ["code", "title", "trigger", "period", "disposition"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(problem(
                1,
                required,
                format!("the column {required} is missing"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut out: Vec<Category> = vec![];
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for (k, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line())
            .unwrap_or(k as u64 + 2);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(line, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |name: &str| -> String {
            col(name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let before = problems.len();
        let code = get("code");
        if code.is_empty() {
            problems.push(problem(line, "code", "the code is empty".into()));
        } else if code.len() > 40 {
            problems.push(problem(
                line,
                "code",
                "the code is longer than 40 characters".into(),
            ));
        } else if let Some(first) = seen.insert(code.to_ascii_uppercase(), line) {
            problems.push(problem(
                line,
                "code",
                format!("the code {code} is already on line {first}"),
            ));
        }
        let title = get("title");
        if title.is_empty() {
            problems.push(problem(line, "title", "the title is empty".into()));
        }
        let trigger = Trigger::parse(&get("trigger"))
            .map_err(|m| problems.push(problem(line, "trigger", m)))
            .ok();
        let period = Period::parse(&get("period"))
            .map_err(|m| problems.push(problem(line, "period", m)))
            .ok();
        let cutoff = Cutoff::parse(&get("cutoff"))
            .map_err(|m| problems.push(problem(line, "cutoff", m)))
            .ok();
        let action = Disposition::parse(&get("disposition"))
            .map_err(|m| problems.push(problem(line, "disposition", m)))
            .ok();
        if let (Some(trigger), Some(period), Some(cutoff), Some(action)) =
            (trigger, period, cutoff, action)
        {
            let rule = RetentionRule {
                trigger,
                period,
                cutoff,
                action,
            };
            if let Err(m) = rule.check() {
                problems.push(problem(line, "disposition", m));
            } else if problems.len() == before {
                out.push(Category {
                    code,
                    title,
                    description: get("description"),
                    owner: get("owner"),
                    rule,
                    citation: get("citation"),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Writes a file plan as CSV with [`COLUMNS`] (what [`parse_schedule`] reads back).
pub fn write_schedule(categories: &[Category]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    let mut rows = vec![COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    for c in categories {
        rows.push(vec![
            c.code.clone(),
            c.title.clone(),
            c.description.clone(),
            c.owner.clone(),
            c.rule.trigger.to_string(),
            c.rule.period.to_string(),
            c.rule.cutoff.to_string(),
            c.rule.action.to_string(),
            c.citation.clone(),
        ]);
    }
    for r in rows {
        // Writing to a Vec cannot fail.
        w.write_record(&r).expect("CSV to memory");
    }
    w.into_inner().expect("CSV to memory")
}
