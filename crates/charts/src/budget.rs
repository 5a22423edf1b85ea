//! Budget vs actual, bullet style: per matter an actual bar over a light budget range, a budget
//! marker line, and over-budget bars in the danger colour with the overrun spelled out in text.

use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::svg::{
    self, AXIS, DANGER, FONT_SIZE, Frame, GRID, LegendItem, MUTED, SMALL, Scale, Svg, Swatch, TEXT,
    fit, frame_methods, text_width,
};

/// One matter (or any budgeted line): its actual spend against its budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRow {
    /// Category name, e.g. the matter.
    pub label: String,
    /// Spend so far.
    pub actual: Decimal,
    /// The budget.
    pub budget: Decimal,
}

impl BudgetRow {
    /// True when actual exceeds budget.
    pub fn is_over(&self) -> bool {
        self.actual > self.budget
    }

    /// Actual as a whole percentage of budget (rounded half away from zero); `None` when the
    /// budget is not positive.
    pub fn percent_used(&self) -> Option<Decimal> {
        if self.budget <= Decimal::ZERO {
            return None;
        }
        self.actual
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|x| x.checked_div(self.budget))
            .map(|p| p.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
    }
}

/// A budget-vs-actual chart.
///
/// ```
/// use charts::{BudgetChart, ValueFormat};
///
/// let svg = BudgetChart::new("Matter budgets")
///     .format(ValueFormat::currency("$"))
///     .row("Smith v. Jones", 124_000, 100_000)
///     .row("Acme acquisition", 61_500, 80_000)
///     .render();
/// assert_eq!(svg.matches("<rect class=\"bar").count(), 2);
/// assert_eq!(svg.matches("<rect class=\"bar danger").count(), 1);
/// assert!(svg.contains("$124,000 of $100,000 · 24% over"));
/// assert!(svg.contains("$61,500 of $80,000 · 77%"));
/// ```
#[derive(Debug, Clone)]
pub struct BudgetChart {
    frame: Frame,
    rows: Vec<BudgetRow>,
}

const ROW: f64 = 34.0;
const TOP: f64 = 6.0;
const AXIS_H: f64 = 24.0;

impl BudgetChart {
    /// A new, empty chart; `title` is the accessible name (`<title>`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            frame: Frame::new(title.into()),
            rows: Vec::new(),
        }
    }

    frame_methods!();

    /// Adds a row: its label, actual and budget.
    pub fn row(
        mut self,
        label: impl Into<String>,
        actual: impl Into<Decimal>,
        budget: impl Into<Decimal>,
    ) -> Self {
        self.rows.push(BudgetRow {
            label: label.into(),
            actual: actual.into(),
            budget: budget.into(),
        });
        self
    }

    /// The rows as given, for the table beside the chart.
    pub fn data(&self) -> &[BudgetRow] {
        &self.rows
    }

    /// The text shown at the end of a row, e.g. `$124,000 of $100,000 · 24% over`.
    pub fn row_label(&self, row: &BudgetRow) -> String {
        let fmt = &self.frame.format;
        let mut s = format!("{} of {}", fmt.full(row.actual), fmt.full(row.budget));
        match row.percent_used() {
            Some(p) if row.is_over() => {
                let _ = write!(
                    s,
                    " · {}% over",
                    (p - Decimal::ONE_HUNDRED).max(Decimal::ONE)
                );
            }
            Some(p) => {
                let _ = write!(s, " · {p}%");
            }
            None if row.is_over() => s.push_str(" · over"),
            None => {}
        }
        s
    }

    /// Renders the chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let f = &self.frame;
        let rows = &self.rows;
        if rows.is_empty() {
            return svg::empty("budget", f);
        }
        let w = f.width;
        let items = [
            LegendItem {
                label: "Actual".into(),
                swatch: Swatch::Box(svg::PALETTE[0], "series-1".into()),
            },
            LegendItem {
                label: "Over budget".into(),
                swatch: Swatch::Box(DANGER, "danger".into()),
            },
            LegendItem {
                label: "Budget".into(),
                swatch: Swatch::Tick,
            },
        ];
        let legend_h = svg::legend_height(&items, w - 16.0);
        let top = TOP + legend_h;
        let h = f.height_or(top + ROW * rows.len() as f64 + AXIS_H + 4.0);
        let row = ((h - top - AXIS_H - 4.0) / rows.len() as f64).max(1.0);
        let bar_h = (row * 0.34).min(12.0);
        let range_h = (row * 0.58).min(20.0);

        let labels: Vec<String> = rows.iter().map(|r| self.row_label(r)).collect();
        let val_w = labels
            .iter()
            .map(|l| text_width(l, FONT_SIZE))
            .fold(0.0, f64::max)
            .min(w * 0.42)
            + 14.0;
        let cat_need = rows
            .iter()
            .map(|r| text_width(&r.label, FONT_SIZE))
            .fold(0.0, f64::max)
            + 12.0;
        let cat_w = cat_need.min(w * 0.3).min((w - val_w - 60.0).max(24.0));
        let x0 = cat_w.min(w - 40.0);
        let x1 = (w - val_w).max(x0 + 20.0).min(w - 4.0);

        let all = rows.iter().flat_map(|r| [r.actual, r.budget]);
        let min = all.clone().min().unwrap_or_default();
        let max = all.max().unwrap_or_default();
        let (ticks, tick_labels) = svg::axis_ticks(min, max, x1 - x0, &f.format, true);
        let scale = Scale::from_ticks(&ticks, x0, x1);
        let bottom = top + row * rows.len() as f64;

        let over = rows.iter().filter(|r| r.is_over()).count();
        let desc = f.description.clone().unwrap_or_else(|| {
            format!(
                "Budget versus actual for {} rows; {} over budget.",
                rows.len(),
                over
            )
        });
        let mut s = Svg::open("budget", f, &desc, w, h);
        svg::legend(&mut s, &items, 8.0, 2.0, w - 16.0);
        s.push("<g class=\"grid\">");
        for t in &ticks {
            if !t.is_zero() {
                let x = scale.map_dec(*t);
                s.line("grid-line", x, top, x, bottom, GRID, 1.0);
            }
        }
        s.push("</g><g class=\"axis x-axis\">");
        for (t, l) in ticks.iter().zip(&tick_labels) {
            let half = text_width(l, SMALL) / 2.0;
            let x = svg::keep_inside(scale.map_dec(*t), half, w);
            s.text("tick", x, bottom + 14.0, "middle", SMALL, MUTED, l, None);
        }
        s.push("</g><g class=\"bars\">");
        let zero = scale.map(0.0);
        let fmt = &f.format;
        for (i, (r, label)) in rows.iter().zip(&labels).enumerate() {
            let cy = top + row * (i as f64 + 0.5);
            let b = scale.map_dec(r.budget);
            let a = scale.map_dec(r.actual);
            let _ = write!(
                s.out,
                "<rect class=\"budget-range\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
                 rx=\"2\" fill=\"#eef0f5\"/>",
                svg::n(zero.min(b)),
                svg::n(cy - range_h / 2.0),
                svg::n((b - zero).abs()),
                svg::n(range_h)
            );
            let (class, fill) = if r.is_over() {
                ("bar danger", DANGER)
            } else {
                ("bar series-1", svg::PALETTE[0])
            };
            let tip = format!("{}: {}", r.label, label);
            s.bar(
                class,
                zero.min(a),
                cy - bar_h / 2.0,
                (a - zero).abs(),
                bar_h,
                fill,
                &tip,
            );
            let _ = write!(
                s.out,
                "<line class=\"budget\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{TEXT}\" \
                 stroke-width=\"2\"><title>{}</title></line>",
                svg::n(cy - range_h / 2.0 - 2.0),
                svg::n(cy + range_h / 2.0 + 2.0),
                svg::escape(&format!("{}: budget {}", r.label, fmt.full(r.budget))),
                x = svg::n(b),
            );
            let (shown, _) = fit(&r.label, (cat_w - 12.0).max(8.0), FONT_SIZE);
            s.text(
                "label category",
                cat_w - 8.0,
                cy,
                "end",
                FONT_SIZE,
                TEXT,
                &shown,
                Some(&r.label),
            );
            let (class, color) = if r.is_over() {
                ("label value danger", DANGER)
            } else {
                ("label value", TEXT)
            };
            let (shown, _) = fit(label, val_w - 12.0, FONT_SIZE);
            s.text(
                class,
                x1 + 10.0,
                cy,
                "start",
                FONT_SIZE,
                color,
                &shown,
                Some(label),
            );
        }
        s.push("</g>");
        s.line("axis zero", zero, top - 2.0, zero, bottom + 2.0, AXIS, 1.0);
        s.finish()
    }
}
