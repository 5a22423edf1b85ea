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

/// Computes every report of the dashboard.
pub async fn reports(app: &App, user: &CurrentUser, f: &Filters) -> Result<Vec<Report>, AppError> {
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let to = if f.to.is_empty() {
        today.to_string()
    } else {
        crate::matters::model::parse_date(&f.to)
            .map_err(|e| AppError::field("to", e))?
            .unwrap_or_default()
    };
    let from = if f.from.is_empty() {
        today
            .checked_sub(jiff::Span::new().years(1))
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
    let w = base_where();
    let mut out = vec![];

    // Spend by month: billed and approved.
    let by_month = rows2(app, &s, format!(
        "SELECT SUBSTR(i.invoice_date, 1, 7), CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i WHERE {w} GROUP BY SUBSTR(i.invoice_date, 1, 7) ORDER BY 1"
    )).await?;
    let chart = charts::ColumnChart::new("Spend by month")
        .categories(by_month.iter().map(|r| r.0.clone()))
        .series("Approved", by_month.iter().map(|r| dec(r.2)))
        .series("Adjusted away", by_month.iter().map(|r| dec(r.1 - r.2)))
        .stacked(true)
        .format(svg_money())
        .width(640)
        .height(280)
        .render();
    out.push(Report {
        key: "by_month".into(),
        title: "Spend by month".into(),
        columns: vec![
            "month".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_month
            .iter()
            .map(|(m, b, a)| vec![m.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    });

    // By vendor.
    let by_vendor = rows2(app, &s, format!(
        "SELECT v.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN vendors v ON v.id = i.vendor_id WHERE {w} GROUP BY v.name ORDER BY 3 DESC"
    )).await?;
    let chart = charts::BarChart::new("Approved spend by vendor")
        .bars(by_vendor.iter().map(|r| (r.0.clone(), dec(r.2))))
        .sorted()
        .top_n(10, "Other")
        .format(svg_money())
        .width(640)
        .render();
    out.push(Report {
        key: "by_vendor".into(),
        title: "Spend by vendor".into(),
        columns: vec![
            "vendor".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_vendor
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    });

    // By matter type.
    let by_type = rows2(app, &s, format!(
        "SELECT t.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN matters m ON m.id = i.matter_id JOIN matter_types t ON t.id = m.type_id WHERE {w} GROUP BY t.name ORDER BY 3 DESC"
    )).await?;
    let chart = charts::DonutChart::new("Approved spend by matter type");
    let chart = by_type
        .iter()
        .fold(chart, |c, r| c.slice(r.0.clone(), dec(r.2)))
        .format(svg_money())
        .width(640)
        .height(240)
        .render();
    out.push(Report {
        key: "by_matter_type".into(),
        title: "Spend by matter type".into(),
        columns: vec![
            "matter_type".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_type
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    });

    // By matter (the twenty largest).
    let by_matter = rows2(
        app,
        &s,
        format!(
            "SELECT m.number || ' ' || m.name, CAST(SUM(i.total_e4) AS BIGINT), CAST(SUM(i.adjusted_total_e4) AS BIGINT) FROM invoices i JOIN matters m ON m.id = i.matter_id WHERE {w} \
             GROUP BY m.number, m.name ORDER BY 3 DESC LIMIT 20"
        ),
    )
    .await?;
    let chart = charts::BarChart::new("Approved spend by matter (top 20)")
        .bars(by_matter.iter().map(|r| (r.0.clone(), dec(r.2))))
        .format(svg_money())
        .width(640)
        .render();
    out.push(Report {
        key: "by_matter".into(),
        title: "Spend by matter (top 20)".into(),
        columns: vec![
            "matter".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_matter
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    });

    // By UTBMS task.
    let by_task = rows2(
        app,
        &s,
        format!(
            "SELECT CASE WHEN l.task_code = '' THEN '(none)' ELSE l.task_code END, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT) \
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {w} GROUP BY CASE WHEN l.task_code = '' THEN '(none)' ELSE l.task_code END ORDER BY 1"
        ),
    )
    .await?;
    out.push(Report {
        key: "by_task".into(),
        title: "Spend by UTBMS task".into(),
        columns: vec![
            "task".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_task
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart: String::new(),
    });

    // By UTBMS phase (fees and expenses by the first three characters of the task code).
    let by_phase = rows2(app, &s, format!(
        "SELECT CASE WHEN l.task_code = '' THEN '(none)' ELSE SUBSTR(l.task_code, 1, 2) || '00' END, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT) \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {w} GROUP BY CASE WHEN l.task_code = '' THEN '(none)' ELSE SUBSTR(l.task_code, 1, 2) || '00' END ORDER BY 1"
    )).await?;
    let chart = charts::BarChart::new("Approved spend by UTBMS phase")
        .bars(by_phase.iter().map(|r| (r.0.clone(), dec(r.2))))
        .format(svg_money())
        .width(640)
        .render();
    out.push(Report {
        key: "by_phase".into(),
        title: "Spend by UTBMS phase".into(),
        columns: vec![
            "phase".into(),
            "billed".into(),
            "approved".into(),
            "savings".into(),
        ],
        rows: by_phase
            .iter()
            .map(|(v, b, a)| vec![v.clone(), plain(*b), plain(*a), plain(b - a)])
            .collect(),
        chart,
    });

    // By timekeeper classification (fees): spend, hours, effective rate.
    let by_class: Vec<(String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CASE WHEN l.classification = '' THEN '(none)' ELSE l.classification END, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT), CAST(SUM(l.units_e4) AS BIGINT) \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {w} AND l.line_type = 'F' GROUP BY CASE WHEN l.classification = '' THEN '(none)' ELSE l.classification END ORDER BY 3 DESC"
    )))
    .bind(&s.from).bind(&s.to).bind(s.vendor).bind(s.user)
    .fetch_all(app.db.pool())
    .await?;
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
                    if *h > 0 {
                        format_e4(((*a as i128) * 10_000 / (*h as i128)) as i64).replace(',', "")
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
        chart,
    });

    // Effective and blended rates per vendor.
    let rates: Vec<(String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT v.name, CAST(SUM(l.total_e4) AS BIGINT), CAST(SUM(l.adjusted_total_e4) AS BIGINT), CAST(SUM(l.units_e4) AS BIGINT) \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN vendors v ON v.id = i.vendor_id WHERE {w} AND l.line_type = 'F' GROUP BY v.name ORDER BY 3 DESC"
    )))
    .bind(&s.from).bind(&s.to).bind(s.vendor).bind(s.user)
    .fetch_all(app.db.pool())
    .await?;
    let rate = |amount: i64, hours: i64| {
        if hours > 0 {
            format_e4(((amount as i128) * 10_000 / (hours as i128)) as i64).replace(',', "")
        } else {
            String::new()
        }
    };
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
    let flags: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT f.rule_kind, f.reason_code, COUNT(*), CAST(SUM(CASE WHEN f.state IN ('overridden','appeal_upheld') THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN f.proposed_total_e4 IS NOT NULL AND f.state NOT IN ('overridden','appeal_upheld') THEN l.total_e4 - f.proposed_total_e4 ELSE 0 END), 0) AS BIGINT) \
         FROM invoice_flags f JOIN invoices i ON i.id = f.invoice_id LEFT JOIN invoice_lines l ON l.id = f.line_id WHERE {w} GROUP BY f.rule_kind, f.reason_code ORDER BY 3 DESC"
    )))
    .bind(&s.from).bind(&s.to).bind(s.vendor).bind(s.user)
    .fetch_all(app.db.pool())
    .await?;
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
