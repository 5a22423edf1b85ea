//! Vertical column chart over categories (e.g. months): one series, several series side by side,
//! or stacked series with a legend.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::svg::{self, AXIS, Frame, LegendItem, SMALL, Swatch, TEXT, frame_methods, text_width};
use crate::{IntoValue, Series};

/// A vertical column chart.
///
/// ```
/// use charts::{ColumnChart, ValueFormat};
///
/// let svg = ColumnChart::new("Monthly spend by practice area")
///     .format(ValueFormat::currency("$"))
///     .categories(["Jan", "Feb", "Mar"])
///     .series("Litigation", [42_000, 38_500, 51_200])
///     .series("Employment", [12_000, 9_800, 14_100])
///     .stacked(true)
///     .render();
/// assert_eq!(svg.matches("<rect class=\"bar").count(), 6);
/// assert!(svg.contains("<title>Litigation, Feb: $38,500</title>"));
/// assert!(svg.contains("class=\"legend\""));
/// ```
#[derive(Debug, Clone)]
pub struct ColumnChart {
    frame: Frame,
    categories: Vec<String>,
    series: Vec<Series>,
    stacked: bool,
}

impl ColumnChart {
    /// A new, empty chart; `title` is the accessible name (`<title>`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            frame: Frame::new(title.into()),
            categories: Vec::new(),
            series: Vec::new(),
            stacked: false,
        }
    }

    frame_methods!();

    /// Sets the category labels along the x axis, in order.
    pub fn categories<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.categories = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a series: one value per category (missing or `None` values draw nothing).
    pub fn series<V: IntoValue>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.series.push(Series::new(name, values));
        self
    }

    /// Stacks the series in each category (positive values upward, negative downward) instead
    /// of drawing them side by side.
    pub fn stacked(mut self, stacked: bool) -> Self {
        self.stacked = stacked;
        self
    }

    /// The categories and series as given, for the table beside the chart.
    pub fn data(&self) -> (&[String], &[Series]) {
        (&self.categories, &self.series)
    }

    fn value(&self, s: usize, c: usize) -> Option<Decimal> {
        self.series[s].values.get(c).copied().flatten()
    }

    /// Renders the chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let f = &self.frame;
        let nc = self.categories.len();
        let ns = self.series.len();
        let any = (0..ns).any(|s| (0..nc).any(|c| self.value(s, c).is_some()));
        if !any {
            return svg::empty("column", f);
        }
        // Domain: per-category positive and negative stacks, or plain extremes.
        let (mut min, mut max) = (Decimal::ZERO, Decimal::ZERO);
        let mut totals = Vec::with_capacity(nc);
        for c in 0..nc {
            let vals = (0..ns).filter_map(|s| self.value(s, c));
            if self.stacked {
                let (p, m) = vals.fold((Decimal::ZERO, Decimal::ZERO), |(p, m), v| {
                    if v.is_sign_negative() {
                        (p, m.saturating_add(v))
                    } else {
                        (p.saturating_add(v), m)
                    }
                });
                min = min.min(m);
                max = max.max(p);
                totals.push(p.saturating_add(m));
            } else {
                for v in vals {
                    min = min.min(v);
                    max = max.max(v);
                }
            }
        }
        let items: Vec<LegendItem> = if ns > 1 {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| LegendItem {
                    label: s.name.clone(),
                    swatch: Swatch::Box(
                        svg::series_color(i),
                        format!("series-{}", svg::series_no(i)),
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        let fmt = &f.format;
        // Value labels above columns: single series, or stack totals; only if they fit.
        let label_for = |c: usize| -> Option<Decimal> {
            if self.stacked && ns > 1 {
                totals.get(c).copied()
            } else if ns == 1 {
                self.value(0, c)
            } else {
                None
            }
        };
        let desc = f.description.clone().unwrap_or_else(|| {
            let mut d = format!(
                "{} column chart over {} categories",
                if self.stacked && ns > 1 {
                    "Stacked"
                } else {
                    "Vertical"
                },
                nc
            );
            if ns > 1 {
                let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
                let _ = write!(d, "; series: {}", names.join(", "));
            }
            d.push('.');
            d
        });
        let w = f.width;
        let band_guess = (w - 60.0) / nc.max(1) as f64;
        let show_labels = (0..nc).all(|c| {
            label_for(c).is_none_or(|v| text_width(&fmt.compact(v), SMALL) <= band_guess - 4.0)
        }) && (0..nc).any(|c| label_for(c).is_some());
        let headroom = if show_labels { 16.0 } else { 0.0 };
        let (mut s, plot) = svg::cartesian(
            "column",
            f,
            &desc,
            &items,
            min,
            max,
            &self.categories,
            headroom,
        );

        let group = (plot.band * 0.72).min(if self.stacked { 56.0 } else { 28.0 * ns as f64 });
        let sub = if self.stacked {
            group
        } else {
            group / ns.max(1) as f64
        };
        let zero = plot.scale.map(0.0);
        s.push("<g class=\"bars\">");
        for (c, cat) in self.categories.iter().enumerate() {
            let left = plot.center(c) - group / 2.0;
            let (mut up, mut down) = (Decimal::ZERO, Decimal::ZERO);
            for (si, ser) in self.series.iter().enumerate() {
                let Some(v) = self.value(si, c) else { continue };
                let (from, to) = if !self.stacked {
                    (Decimal::ZERO, v)
                } else if v.is_sign_negative() {
                    let from = down;
                    down = down.saturating_add(v);
                    (from, down)
                } else {
                    let from = up;
                    up = up.saturating_add(v);
                    (from, up)
                };
                let (ya, yb) = (plot.scale.map_dec(from), plot.scale.map_dec(to));
                let x = if self.stacked {
                    left
                } else {
                    left + sub * si as f64
                };
                let gap = if !self.stacked && ns > 1 { 1.0 } else { 0.0 };
                let tip = if ns > 1 {
                    format!("{}, {}: {}", ser.name, cat, fmt.full(v))
                } else {
                    format!("{}: {}", cat, fmt.full(v))
                };
                let class = format!("bar series-{}", svg::series_no(si));
                s.bar(
                    &class,
                    x + gap / 2.0,
                    ya.min(yb),
                    sub - gap,
                    (ya - yb).abs(),
                    svg::series_color(si),
                    &tip,
                );
            }
            if show_labels && let Some(v) = label_for(c) {
                let top = if self.stacked {
                    up
                } else {
                    v.max(Decimal::ZERO)
                };
                let y = if !self.stacked && v.is_sign_negative() {
                    (plot.scale.map_dec(v) + 9.0).min(plot.y1 - 6.0)
                } else {
                    (plot.scale.map_dec(top) - 9.0).max(6.0)
                };
                s.text(
                    "label value",
                    plot.center(c),
                    y,
                    "middle",
                    SMALL,
                    TEXT,
                    &fmt.compact(v),
                    Some(&fmt.full(v)),
                );
            }
        }
        s.push("</g>");
        s.line("axis zero", plot.x0, zero, plot.x1, zero, AXIS, 1.0);
        s.finish()
    }
}
