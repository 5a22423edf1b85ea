//! Spend analytics: the dashboard's reports — spend by month, vendor, matter type, UTBMS phase
//! and timekeeper classification; budget against actual; effective and blended rates; savings
//! from adjustments; invoice cycle time; top flags and how often they are overridden. Each
//! report is a table (with CSV export and an API twin) and, where it helps, an SVG chart drawn
//! on the server. Walled matters count only for the people on their wall.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::format_e4;
use crate::App;
use crate::platform::access::{CurrentUser, visible_sql};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::ui::{Layout, PageCtx, csv_response};

/// The period and vendor a dashboard covers.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct Filters {
    /// First invoice date included (YYYY-MM-DD); default: twelve months ago.
    #[serde(default)]
    pub from: String,
    /// Last invoice date included (YYYY-MM-DD); default: today.
    #[serde(default)]
    pub to: String,
    /// Only this vendor.
    #[serde(default)]
    pub vendor: Option<i64>,
    /// A single report as CSV: by_month, by_vendor, by_matter_type, by_matter, by_task, by_phase,
    /// by_classification, budget, rates, flags, cycle_time.
    #[serde(default)]
    pub report: String,
    #[serde(default)]
    pub format: String,
}

/// One report: columns and rows as text, ready for a table, CSV or JSON.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub key: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    #[serde(skip)]
    pub chart: String,
}

fn dec(e4: i64) -> Decimal {
    Decimal::new(e4, 4)
}

fn plain(e4: i64) -> String {
    format_e4(e4).replace(',', "")
}

struct Scope {
    from: String,
    to: String,
    vendor: i64,
    user: i64,
}

/// The invoices that count: received, not rejected, in the period, visible to the user.
fn base_where() -> String {
    format!(
        "i.status IN ('in_review','approved','exported') AND i.invoice_date >= $1 AND i.invoice_date <= $2 AND ($3 < 0 OR i.vendor_id = $3) AND {}",
        visible_sql("matter", "i.matter_id", 4)
    )
}

async fn rows2(app: &App, s: &Scope, sql: String) -> Result<Vec<(String, i64, i64)>, AppError> {
    Ok(
        sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(&s.from)
            .bind(&s.to)
            .bind(s.vendor)
            .bind(s.user)
            .fetch_all(app.db.pool())
            .await?,
    )
}

fn svg_money() -> charts::ValueFormat {
    charts::ValueFormat::currency("")
}

fn three(
    key: &str,
    title: &str,
    label: &str,
    rows: &[(String, i64, i64)],
    chart: String,
) -> Report {
    Report {
        key: key.into(),
        title: title.into(),
        columns: vec![
            label.into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: rows
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    }
}

/// The sums the reports are drawn from.
#[derive(Default)]
struct Agg {
    by_month: Vec<(String, i64, i64)>,
    by_vendor: Vec<(String, i64, i64)>,
    by_type: Vec<(String, i64, i64)>,
    by_matter: Vec<(String, i64, i64)>,
    by_task: Vec<(String, i64, i64)>,
    by_class: Vec<(String, i64, i64, i64)>,
    rates: Vec<(String, i64, i64, i64)>,
}

fn by_approved_desc3(mut v: Vec<(String, i64, i64)>) -> Vec<(String, i64, i64)> {
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    v
}

fn by_approved_desc4(mut v: Vec<(String, i64, i64, i64)>) -> Vec<(String, i64, i64, i64)> {
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    v
}

/// Live sums over the line items, for the invoices that count and match `cond` (with the
/// scope's parameters $1–$4).
async fn aggregates_live(app: &App, s: &Scope, cond: &str) -> Result<Agg, AppError> {
    let w = format!(
        "i.status IN ('in_review','approved','exported') AND i.invoice_date >= $1 AND i.invoice_date <= $2 AND ($3 < 0 OR i.vendor_id = $3) AND ($4 = $4) AND {cond}"
    );
    let q3 = |sql: String| async move { rows2(app, s, sql).await };
    let q4 = |sql: String| async move {
        Ok::<_, AppError>(
            sqlx::query_as::<_, (String, i64, i64, i64)>(sqlx::AssertSqlSafe(sql))
                .bind(&s.from)
                .bind(&s.to)
                .bind(s.vendor)
                .bind(s.user)
                .fetch_all(app.db.pool())
                .await?,
        )
    };
    Ok(Agg {
        by_month: q3(format!("SELECT SUBSTR(i.invoice_date, 1, 7), CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i WHERE {w} GROUP BY SUBSTR(i.invoice_date, 1, 7)")).await?,
        by_vendor: q3(format!("SELECT v.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN vendors v ON v.id = i.vendor_id WHERE {w} GROUP BY v.name")).await?,
        by_type: q3(format!("SELECT t.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN matters m ON m.id = i.matter_id JOIN matter_types t ON t.id = m.type_id WHERE {w} GROUP BY t.name")).await?,
        by_matter: q3(format!("SELECT m.number || ' ' || m.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN matters m ON m.id = i.matter_id WHERE {w} GROUP BY m.number, m.name")).await?,
        by_task: q3(format!(
            "SELECT CASE WHEN l.task_code = '' THEN '(none)' ELSE l.task_code END, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT) \
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {w} GROUP BY CASE WHEN l.task_code = '' THEN '(none)' ELSE l.task_code END"
        ))
        .await?,
        by_class: q4(format!(
            "SELECT CASE WHEN l.classification = '' THEN '(none)' ELSE l.classification END, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT), CAST(SUM(l.units_e4) AS BIGINT) \
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {w} AND l.line_type = 'F' GROUP BY CASE WHEN l.classification = '' THEN '(none)' ELSE l.classification END"
        ))
        .await?,
        rates: q4(format!(
            "SELECT v.name, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT), CAST(SUM(l.units_e4) AS BIGINT) \
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN vendors v ON v.id = i.vendor_id WHERE {w} AND l.line_type = 'F' GROUP BY v.name"
        ))
        .await?,
    })
}

/// The rollup keys a user's dashboard reads: 0 (every matter without a wall) and each walled
/// matter the user is on — as an SQL list.
async fn wall_keys(app: &App, user: i64) -> Result<String, AppError> {
    // Those `visible_sql` lets through: the walls the user is on.
    let walled: Vec<i64> = sqlx::query_scalar(
        "SELECT w.object_id FROM object_walls w JOIN walled_objects o ON o.object_type = w.object_type AND o.object_id = w.object_id WHERE w.object_type = 'matter' AND w.user_id = $1",
    )
    .bind(user)
    .fetch_all(app.db.pool())
    .await?;
    Ok(std::iter::once(0)
        .chain(walled)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// Sums from the rollup tables, whole months of the scope: the matters without a wall and the
/// walled matters the user is on.
async fn aggregates_rollup(app: &App, s: &Scope) -> Result<Agg, AppError> {
    let (m1, m2) = (s.from[..7].to_string(), s.to[..7].to_string());
    let keys = wall_keys(app, s.user).await?;
    let w = format!("r.month >= $1 AND r.month <= $2 AND r.wall_matter_id IN ({keys})");
    // Rows whose sums came back to zero (an invoice rejected after review, a wall lifted) say
    // nothing.
    let nz = "HAVING SUM(r.billed_e4) <> 0 OR SUM(r.approved_e4) <> 0";
    let q3 = |sql: String| {
        let (m1, m2) = (m1.clone(), m2.clone());
        async move {
            Ok::<_, AppError>(
                sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql))
                    .bind(m1)
                    .bind(m2)
                    .fetch_all(app.db.pool())
                    .await?,
            )
        }
    };
    let q4 = |sql: String| {
        let (m1, m2) = (m1.clone(), m2.clone());
        async move {
            Ok::<_, AppError>(
                sqlx::query_as::<_, (String, i64, i64, i64)>(sqlx::AssertSqlSafe(sql))
                    .bind(m1)
                    .bind(m2)
                    .fetch_all(app.db.pool())
                    .await?,
            )
        }
    };
    Ok(Agg {
        by_month: q3(format!("SELECT r.month, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT) FROM spend_vendor_month r WHERE {w} GROUP BY r.month {nz}")).await?,
        by_vendor: q3(format!("SELECT v.name, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT) FROM spend_vendor_month r JOIN vendors v ON v.id = r.vendor_id WHERE {w} GROUP BY v.name {nz}")).await?,
        by_type: q3(format!("SELECT t.name, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT) FROM spend_type_month r JOIN matter_types t ON t.id = r.type_id WHERE {w} GROUP BY t.name {nz}")).await?,
        by_matter: q3(format!("SELECT m.number || ' ' || m.name, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT) FROM spend_matter_month r JOIN matters m ON m.id = r.matter_id WHERE {w} GROUP BY m.number, m.name {nz}")).await?,
        by_task: q3(format!("SELECT CASE WHEN r.task_code = '' THEN '(none)' ELSE r.task_code END, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT) FROM spend_task_month r WHERE {w} GROUP BY CASE WHEN r.task_code = '' THEN '(none)' ELSE r.task_code END {nz}")).await?,
        by_class: q4(format!("SELECT CASE WHEN r.classification = '' THEN '(none)' ELSE r.classification END, CAST(SUM(r.billed_e4) AS BIGINT), CAST(SUM(r.approved_e4) AS BIGINT), CAST(SUM(r.units_e4) AS BIGINT) FROM spend_class_month r WHERE {w} GROUP BY CASE WHEN r.classification = '' THEN '(none)' ELSE r.classification END {nz}")).await?,
        rates: q4(format!("SELECT v.name, CAST(SUM(r.fee_billed_e4) AS BIGINT), CAST(SUM(r.fee_approved_e4) AS BIGINT), CAST(SUM(r.fee_units_e4) AS BIGINT) FROM spend_vendor_month r JOIN vendors v ON v.id = r.vendor_id WHERE {w} GROUP BY v.name HAVING SUM(r.fee_units_e4) <> 0")).await?,
    })
}

/// Whether the scope covers whole months (which the rollups can answer).
fn whole_months(s: &Scope) -> bool {
    s.from.ends_with("-01")
        && s.to
            .parse::<jiff::civil::Date>()
            .is_ok_and(|d| d.last_of_month() == d)
}

/// The report sums for a scope: from the rollups for whole months without a vendor filter,
/// otherwise live from the line items.
async fn aggregates(app: &App, s: &Scope) -> Result<Agg, AppError> {
    let agg = if s.vendor < 0 && whole_months(s) {
        aggregates_rollup(app, s).await?
    } else {
        aggregates_live(app, s, &visible_sql("matter", "i.matter_id", 4)).await?
    };
    let mut by_matter = by_approved_desc3(agg.by_matter);
    by_matter.truncate(20);
    let mut by_month = agg.by_month;
    by_month.sort();
    let mut by_task = agg.by_task;
    by_task.sort();
    Ok(Agg {
        by_month,
        by_vendor: by_approved_desc3(agg.by_vendor),
        by_type: by_approved_desc3(agg.by_type),
        by_matter,
        by_task,
        by_class: by_approved_desc4(agg.by_class),
        rates: by_approved_desc4(agg.rates),
    })
}

/// Computes every report of the dashboard.
pub async fn reports(app: &App, user: &CurrentUser, f: &Filters) -> Result<Vec<Report>, AppError> {
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    // Whole months by default (the last twelve, this one included), which the rollups answer.
    let to = if f.to.is_empty() {
        today.last_of_month().to_string()
    } else {
        crate::matters::model::parse_date(&f.to)
            .map_err(|e| AppError::field("to", e))?
            .unwrap_or_default()
    };
    let from = if f.from.is_empty() {
        today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(11))
            .map(|d| d.to_string())
            .unwrap_or_default()
    } else {
        crate::matters::model::parse_date(&f.from)
            .map_err(|e| AppError::field("from", e))?
            .unwrap_or_default()
    };
    let s = Scope {
        from,
        to,
        vendor: f.vendor.unwrap_or(-1),
        user: user.id,
    };
    let mut out = vec![];
    let agg = aggregates(app, &s).await?;
    let Agg {
        by_month,
        by_vendor,
        by_type,
        by_matter,
        by_task,
        by_class,
        rates,
    } = agg;
    let mut by_phase: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (task, b, a) in &by_task {
        let phase = if task == "(none)" || task.len() < 2 {
            "(none)".to_string()
        } else {
            format!("{}00", &task[..2])
        };
        let e = by_phase.entry(phase).or_default();
        e.0 += b;
        e.1 += a;
    }
    let by_phase: Vec<(String, i64, i64)> =
        by_phase.into_iter().map(|(k, (b, a))| (k, b, a)).collect();

    let chart = charts::ColumnChart::new("Spend by month")
        .categories(by_month.iter().map(|r| r.0.clone()))
        .series("Approved", by_month.iter().map(|r| dec(r.2)))
        .series("Adjusted away", by_month.iter().map(|r| dec(r.1 - r.2)))
        .stacked(true)
        .format(svg_money())
        .width(640)
        .height(280)
        .render();
    out.push(three(
        "by_month",
        "Spend by month",
        "month",
        &by_month,
        chart,
    ));
    let chart = charts::BarChart::new("Approved spend by vendor")
        .bars(by_vendor.iter().map(|r| (r.0.clone(), dec(r.2))))
        .sorted()
        .top_n(10, "Other")
        .format(svg_money())
        .width(640)
        .render();
    out.push(three(
        "by_vendor",
        "Spend by vendor",
        "vendor",
        &by_vendor,
        chart,
    ));
    let chart = by_type
        .iter()
        .fold(
            charts::DonutChart::new("Approved spend by matter type"),
            |c, r| c.slice(r.0.clone(), dec(r.2)),
        )
        .format(svg_money())
        .width(640)
        .height(240)
        .render();
    out.push(three(
        "by_matter_type",
        "Spend by matter type",
        "matter_type",
        &by_type,
        chart,
    ));
    let chart = charts::BarChart::new("Approved spend by matter (top 20)")
        .bars(by_matter.iter().map(|r| (r.0.clone(), dec(r.2))))
        .format(svg_money())
        .width(640)
        .render();
    out.push(three(
        "by_matter",
        "Spend by matter (top 20)",
        "matter",
        &by_matter,
        chart,
    ));
    out.push(three(
        "by_task",
        "Spend by UTBMS task",
        "task",
        &by_task,
        String::new(),
    ));
    let chart = charts::BarChart::new("Approved spend by UTBMS phase")
        .bars(by_phase.iter().map(|r| (r.0.clone(), dec(r.2))))
        .format(svg_money())
        .width(640)
        .render();
    out.push(three(
        "by_phase",
        "Spend by UTBMS phase",
        "phase",
        &by_phase,
        chart,
    ));
    let rate = |amount: i64, hours: i64| {
        if hours > 0 {
            format_e4(((amount as i128) * 10_000 / (hours as i128)) as i64).replace(',', "")
        } else {
            String::new()
        }
    };
    let chart = charts::BarChart::new("Approved fees by timekeeper classification")
        .bars(by_class.iter().map(|r| (r.0.clone(), dec(r.2))))
        .format(svg_money())
        .width(640)
        .render();
    out.push(Report {
        key: "by_classification".into(),
        title: "Fees by timekeeper classification".into(),
        columns: vec![
            "classification".into(),
            "billed".into(),
            "approved".into(),
            "hours".into(),
            "effective_rate".into(),
        ],
        rows: by_class
            .iter()
            .map(|(c, b, a, h)| {
                vec![
                    c.clone(),
                    plain(*b),
                    plain(*a),
                    super::money::units(*h),
                    rate(*a, *h),
                ]
            })
            .collect(),
        chart,
    });
    out.push(Report {
        key: "rates".into(),
        title: "Blended and effective hourly rates by vendor".into(),
        columns: vec![
            "vendor".into(),
            "hours".into(),
            "blended_rate_billed".into(),
            "effective_rate_approved".into(),
        ],
        rows: rates
            .iter()
            .map(|(v, b, a, h)| {
                vec![
                    v.clone(),
                    super::money::units(*h),
                    rate(*b, *h),
                    rate(*a, *h),
                ]
            })
            .collect(),
        chart: String::new(),
    });
    let w = base_where();

    // Budget against actual, per matter with a budget for the year of the period's end.
    let year = &s.to[..4];
    let budget: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.number || ' ' || m.name, b.amount_e4, CAST(COALESCE((SELECT SUM(i.adjusted_total_e4) FROM invoices i WHERE i.matter_id = m.id AND i.status IN ('in_review','approved','exported') \
           AND SUBSTR(i.invoice_date, 1, 4) = $1), 0) AS BIGINT) FROM budgets b JOIN matters m ON m.id = b.matter_id WHERE b.fiscal_period = 'FY' || $1 AND b.phase = '' AND {} ORDER BY 3 DESC",
        visible_sql("matter", "m.id", 2)
    )))
    .bind(year)
    .bind(s.user)
    .fetch_all(app.db.pool())
    .await?;
    let chart = budget
        .iter()
        .take(12)
        .fold(
            charts::BudgetChart::new(format!("Budget against actual, FY{year}")),
            |c, r| c.row(r.0.clone(), dec(r.2), dec(r.1)),
        )
        .format(svg_money())
        .width(640)
        .render();
    out.push(Report {
        key: "budget".into(),
        title: format!("Budget against actual, FY{year}"),
        columns: vec![
            "matter".into(),
            "budget".into(),
            "actual".into(),
            "remaining".into(),
            "used_percent".into(),
        ],
        rows: budget
            .iter()
            .map(|(m, b, a)| {
                vec![
                    m.clone(),
                    plain(*b),
                    plain(*a),
                    plain(b - a),
                    if *b > 0 {
                        format!("{}", (*a as i128 * 100 / *b as i128))
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
        chart,
    });

    // Top flags and their override rates.
    let flags: Vec<(String, String, i64, i64, i64)> = if s.vendor < 0 && whole_months(&s) {
        // From the rollup: the matters without a wall and the walled matters the user is on.
        let keys = wall_keys(app, s.user).await?;
        let mut rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT rule_kind, reason_code, CAST(SUM(flags) AS BIGINT), CAST(SUM(overridden) AS BIGINT), CAST(SUM(savings_e4) AS BIGINT) FROM spend_flag_month \
             WHERE month >= $1 AND month <= $2 AND wall_matter_id IN ({keys}) GROUP BY rule_kind, reason_code HAVING SUM(flags) <> 0",
        )))
        .bind(&s.from[..7])
        .bind(&s.to[..7])
        .fetch_all(app.db.pool())
        .await?;
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        rows
    } else {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT f.rule_kind, f.reason_code, COUNT(*), CAST(SUM(CASE WHEN f.state IN ('overridden','appeal_upheld') THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN f.proposed_total_e4 IS NOT NULL AND f.state NOT IN ('overridden','appeal_upheld') THEN l.total_e4 - f.proposed_total_e4 ELSE 0 END), 0) AS BIGINT) \
             FROM invoice_flags f JOIN invoices i ON i.id = f.invoice_id LEFT JOIN invoice_lines l ON l.id = f.line_id WHERE {w} GROUP BY f.rule_kind, f.reason_code ORDER BY 3 DESC"
        )))
        .bind(&s.from)
        .bind(&s.to)
        .bind(s.vendor)
        .bind(s.user)
        .fetch_all(app.db.pool())
        .await?
    };
    out.push(Report {
        key: "flags".into(),
        title: "Top billing-guideline flags".into(),
        columns: vec![
            "rule".into(),
            "reason_code".into(),
            "flags".into(),
            "overridden".into(),
            "override_rate_percent".into(),
            "proposed_savings".into(),
        ],
        rows: flags
            .iter()
            .map(|(k, c, n, o, sv)| {
                vec![
                    k.clone(),
                    c.clone(),
                    n.to_string(),
                    o.to_string(),
                    if *n > 0 {
                        (o * 100 / n).to_string()
                    } else {
                        String::new()
                    },
                    plain(*sv),
                ]
            })
            .collect(),
        chart: String::new(),
    });

    // Cycle time: days from receipt to decision, per month of decision.
    let decided: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT i.received_at, i.decided_at FROM invoices i WHERE {w} AND i.decided_at IS NOT NULL"
    )))
    .bind(&s.from)
    .bind(&s.to)
    .bind(s.vendor)
    .bind(s.user)
    .fetch_all(app.db.pool())
    .await?;
    let mut cycle: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (r, d) in decided {
        if let (Some(a), Some(b)) = (
            crate::platform::time::parse_ts(&r),
            crate::platform::time::parse_ts(&d),
        ) {
            let days = (b - a).as_secs() / 86_400;
            let e = cycle.entry(d[..7].to_string()).or_default();
            e.0 += days;
            e.1 += 1;
        }
    }
    out.push(Report {
        key: "cycle_time".into(),
        title: "Invoice cycle time (received → decided)".into(),
        columns: vec![
            "month_decided".into(),
            "invoices".into(),
            "average_days".into(),
        ],
        rows: cycle
            .iter()
            .map(|(m, (days, n))| {
                vec![
                    m.clone(),
                    n.to_string(),
                    format!("{}.{}", days / n, (days * 10 / n) % 10),
                ]
            })
            .collect(),
        chart: String::new(),
    });
    Ok(out)
}

/// Headline figures of the dashboard.
pub struct Headline {
    pub label: &'static str,
    pub value: String,
    pub meta: String,
}

#[derive(Template)]
#[template(path = "spend/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    filters: Filters,
    headlines: Vec<Headline>,
    reports: Vec<Report>,
    vendors: Vec<(i64, String)>,
}

/// GET /spend — the spend dashboard (or one report as CSV).
pub async fn dashboard(ctx: PageCtx, Query(f): Query<Filters>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let reports = reports(&ctx.app, &user, &f).await?;
    if f.format == "csv" {
        let r = reports
            .into_iter()
            .find(|r| r.key == f.report)
            .ok_or_else(|| AppError::NotFound("report".into()))?;
        let cols: Vec<&str> = r.columns.iter().map(String::as_str).collect();
        return Ok(csv_response(&format!("spend-{}.csv", r.key), &cols, r.rows));
    }
    let total = |key: &str, col: usize| -> i64 {
        reports
            .iter()
            .find(|r| r.key == key)
            .map(|r| {
                r.rows
                    .iter()
                    .filter_map(|row| super::money::parse_amount(&row[col]).ok())
                    .sum()
            })
            .unwrap_or(0)
    };
    let billed = total("by_month", 1);
    let approved = total("by_month", 2);
    let queue: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE status = 'in_review'")
        .fetch_one(ctx.app.db.pool())
        .await
        .map_err(AppError::from)?;
    let headlines = vec![
        Headline {
            label: "Approved spend",
            value: format_e4(approved),
            meta: format!("billed {}", format_e4(billed)),
        },
        Headline {
            label: "Savings from guidelines and review",
            value: format_e4(billed - approved),
            meta: if billed > 0 {
                format!(
                    "{}.{}% of billed",
                    (billed - approved) * 100 / billed,
                    ((billed - approved) * 1000 / billed) % 10
                )
            } else {
                "—".into()
            },
        },
        Headline {
            label: "Invoices in review",
            value: queue.to_string(),
            meta: "waiting for a decision".into(),
        },
        Headline {
            label: "Vendors billing",
            value: reports
                .iter()
                .find(|r| r.key == "by_vendor")
                .map(|r| r.rows.len())
                .unwrap_or(0)
                .to_string(),
            meta: "in the period".into(),
        },
    ];
    let vendors: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM vendors ORDER BY name")
        .fetch_all(ctx.app.db.pool())
        .await
        .map_err(AppError::from)?;
    ctx.render(DashboardPage {
        layout: ctx.layout("Spend dashboard", "spend"),
        filters: f,
        headlines,
        reports,
        vendors,
    })
}
