//! Horizontal bar chart: one bar per category (e.g. spend by vendor), optionally top-N with the
//! rest summed into "Other", each bar labelled with its value at the bar end.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::Datum;
use crate::svg::{
    self, AXIS, FONT_SIZE, Frame, GRID, MUTED, SMALL, Scale, Svg, TEXT, fit, frame_methods,
    text_width,
};

/// A horizontal bar chart.
///
/// ```
/// use charts::{BarChart, ValueFormat};
/// use rust_decimal::Decimal;
///
/// let chart = BarChart::new("Spend by vendor")
///     .format(ValueFormat::currency("$"))
///     .bar("Baker & Lowe LLP", Decimal::new(1_240_050, 2))
///     .bar("Acme Discovery", 98_000)
///     .bar("Northwind Court Reporting", 4_200)
///     .top_n(2, "Other");
/// let svg = chart.render();
/// assert_eq!(svg.matches("<rect class=\"bar").count(), 3);
/// assert!(svg.contains("Baker &amp; Lowe LLP: $12,400.50"));
/// assert_eq!(chart.data()[2].label, "Other");
/// ```
#[derive(Debug, Clone)]
pub struct BarChart {
    frame: Frame,
    rows: Vec<Datum>,
    top_n: Option<(usize, String)>,
    sorted: bool,
}

const ROW: f64 = 30.0;
const BAR: f64 = 18.0;
const TOP: f64 = 6.0;
const AXIS_H: f64 = 24.0;

impl BarChart {
    /// A new, empty chart; `title` is the accessible name (`<title>`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            frame: Frame::new(title.into()),
            rows: Vec::new(),
            top_n: None,
            sorted: false,
        }
    }

    frame_methods!();

    /// Adds one bar. Bars keep insertion order unless [`BarChart::sorted`] or
    /// [`BarChart::top_n`] is used.
    pub fn bar(mut self, label: impl Into<String>, value: impl Into<Decimal>) -> Self {
        self.rows.push(Datum {
            label: label.into(),
            value: value.into(),
        });
        self
    }

    /// Adds many bars from `(label, value)` pairs.
    pub fn bars<L: Into<String>, V: Into<Decimal>>(
        mut self,
        rows: impl IntoIterator<Item = (L, V)>,
    ) -> Self {
        for (l, v) in rows {
            self = self.bar(l, v);
        }
        self
    }

    /// Orders bars by value, largest first (ties keep insertion order).
    pub fn sorted(mut self) -> Self {
        self.sorted = true;
        self
    }

    /// Keeps the `n` largest bars and sums the rest into one bar named `other_label`, shown
    /// last. Implies [`BarChart::sorted`].
    pub fn top_n(mut self, n: usize, other_label: impl Into<String>) -> Self {
        self.top_n = Some((n.max(1), other_label.into()));
        self.sorted = true;
        self
    }

    /// The rows exactly as drawn (after sorting and top-N), for the table beside the chart.
    pub fn data(&self) -> Vec<Datum> {
        let mut rows = self.rows.clone();
        if self.sorted {
            rows.sort_by_key(|r| std::cmp::Reverse(r.value));
        }
        if let Some((k, other)) = &self.top_n
            && rows.len() > *k
        {
            let rest = rows.split_off(*k);
            let sum = rest
                .iter()
                .fold(Decimal::ZERO, |acc, r| acc.saturating_add(r.value));
            rows.push(Datum {
                label: other.clone(),
                value: sum,
            });
        }
        rows
    }

    /// Renders the chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let rows = self.data();
        let f = &self.frame;
        if rows.is_empty() {
            return svg::empty("bar", f);
        }
        let other = self.top_n.as_ref().filter(|(k, _)| self.rows.len() > *k);
        let w = f.width;
        let h = f.height_or(TOP + ROW * rows.len() as f64 + AXIS_H + 4.0);
        let row = ((h - TOP - AXIS_H - 4.0) / rows.len() as f64).max(1.0);
        let bar_h = BAR.min(row * 0.7);

        let labels: Vec<String> = rows.iter().map(|r| f.format.full(r.value)).collect();
        let label_w = |neg: bool| {
            rows.iter()
                .zip(&labels)
                .filter(|(r, _)| r.value.is_sign_negative() == neg && !r.value.is_zero())
                .map(|(_, l)| text_width(l, FONT_SIZE) + 8.0)
                .fold(0.0, f64::max)
        };
        let neg_w = label_w(true);
        let pos_w = label_w(false).max(20.0);
        let cat_need = rows
            .iter()
            .map(|r| text_width(&r.label, FONT_SIZE))
            .fold(0.0, f64::max)
            + 12.0;
        let cat_w = cat_need
            .min(w * 0.34)
            .min((w - neg_w - pos_w - 60.0).max(24.0));
        let x0 = (cat_w + neg_w).min(w - 40.0);
        let x1 = (w - pos_w - 4.0).max(x0 + 20.0).min(w - 4.0);

        let min = rows.iter().map(|r| r.value).min().unwrap_or_default();
        let max = rows.iter().map(|r| r.value).max().unwrap_or_default();
        let (ticks, tick_labels) = svg::axis_ticks(min, max, x1 - x0, &f.format, true);
        let scale = Scale::from_ticks(&ticks, x0, x1);
        let plot_bottom = TOP + row * rows.len() as f64;

        let desc = f.description.clone().unwrap_or_else(|| {
            let top = rows
                .iter()
                .max_by(|a, b| a.value.cmp(&b.value).then(std::cmp::Ordering::Greater));
            let mut d = format!("Horizontal bar chart with {} bars", rows.len());
            if let Some(t) = top {
                let _ = write!(d, "; largest: {} at {}", t.label, f.format.full(t.value));
            }
            d.push('.');
            d
        });
        let mut s = Svg::open("bar", f, &desc, w, h);

        s.push("<g class=\"grid\">");
        for t in &ticks {
            if !t.is_zero() {
                let x = scale.map_dec(*t);
                s.line("grid-line", x, TOP, x, plot_bottom, GRID, 1.0);
            }
        }
        s.push("</g><g class=\"axis x-axis\">");
        for (t, l) in ticks.iter().zip(&tick_labels) {
            let x = scale.map_dec(*t);
            let half = text_width(l, SMALL) / 2.0;
            let x = svg::keep_inside(x, half, w);
            s.text(
                "tick",
                x,
                plot_bottom + 14.0,
                "middle",
                SMALL,
                MUTED,
                l,
                None,
            );
        }
        s.push("</g><g class=\"bars\">");
        let zero = scale.map(0.0);
        for (i, (r, label)) in rows.iter().zip(&labels).enumerate() {
            let cy = TOP + row * (i as f64 + 0.5);
            let end = scale.map_dec(r.value);
            let is_other = other.is_some() && i + 1 == rows.len();
            let (class, fill) = if is_other {
                ("bar series-5 other", svg::PALETTE[4])
            } else {
                ("bar series-1", svg::PALETTE[0])
            };
            let tip = format!("{}: {}", r.label, label);
            s.bar(
                class,
                zero.min(end),
                cy - bar_h / 2.0,
                (end - zero).abs(),
                bar_h,
                fill,
                &tip,
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
            if r.value.is_sign_negative() && !r.value.is_zero() {
                s.text(
                    "label value",
                    end - 5.0,
                    cy,
                    "end",
                    FONT_SIZE,
                    TEXT,
                    label,
                    None,
                );
            } else {
                s.text(
                    "label value",
                    end + 5.0,
                    cy,
                    "start",
                    FONT_SIZE,
                    TEXT,
                    label,
                    None,
                );
            }
        }
        s.push("</g>");
        s.line(
            "axis zero",
            zero,
            TOP - 2.0,
            zero,
            plot_bottom + 2.0,
            AXIS,
            1.0,
        );
        s.finish()
    }
}
