//! Line chart over an ordered x axis (e.g. months): one or more series, optional point markers,
//! and dashed "budget" series.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::svg::{self, AXIS, Frame, LegendItem, Swatch, frame_methods, n};
use crate::{IntoValue, Series};

/// A line chart.
///
/// ```
/// use charts::{LineChart, ValueFormat};
///
/// let svg = LineChart::new("Cumulative spend vs budget")
///     .format(ValueFormat::currency("$"))
///     .categories(["Jan", "Feb", "Mar", "Apr"])
///     .series("Actual", [Some(40_000), Some(85_000), Some(131_000), None])
///     .budget("Budget", [50_000, 100_000, 150_000, 200_000])
///     .markers(true)
///     .render();
/// assert_eq!(svg.matches("<path class=\"line").count(), 2);
/// assert!(svg.contains("stroke-dasharray"));
/// assert!(svg.contains("<title>Actual, Mar: $131,000</title>"));
/// ```
#[derive(Debug, Clone)]
pub struct LineChart {
    frame: Frame,
    categories: Vec<String>,
    series: Vec<Series>,
    markers: bool,
}

impl LineChart {
    /// A new, empty chart; `title` is the accessible name (`<title>`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            frame: Frame::new(title.into()),
            categories: Vec::new(),
            series: Vec::new(),
            markers: false,
        }
    }

    frame_methods!();

    /// Sets the x-axis labels, in order (e.g. months).
    pub fn categories<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.categories = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a solid series: one value per category; `None` leaves a gap in the line.
    pub fn series<V: IntoValue>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.series.push(Series::new(name, values));
        self
    }

    /// Adds a dashed budget series (class `budget`), drawn without markers.
    pub fn budget<V: IntoValue>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let mut s = Series::new(name, values);
        s.budget = true;
        self.series.push(s);
        self
    }

    /// Draws a visible marker at each point of the solid series (tooltips work either way).
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = on;
        self
    }

    /// The categories and series as given, for the table beside the chart.
    pub fn data(&self) -> (&[String], &[Series]) {
        (&self.categories, &self.series)
    }

    /// Renders the chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let f = &self.frame;
        let nc = self.categories.len();
        let points = |s: &Series| -> Vec<(usize, Decimal)> {
            s.values
                .iter()
                .take(nc)
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .collect()
        };
        let all: Vec<Vec<(usize, Decimal)>> = self.series.iter().map(points).collect();
        if all.iter().all(Vec::is_empty) {
            return svg::empty("line", f);
        }
        let values = all.iter().flatten().map(|(_, v)| *v);
        let min = values.clone().min().unwrap_or_default();
        let max = values.max().unwrap_or_default();
        let items: Vec<LegendItem> =
            if self.series.len() > 1 || self.series.iter().any(|s| s.budget) {
                self.series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| LegendItem {
                        label: s.name.clone(),
                        swatch: Swatch::Line(
                            svg::series_color(i),
                            format!("series-{}", svg::series_no(i)),
                            s.budget,
                            self.markers && !s.budget,
                        ),
                    })
                    .collect()
            } else {
                Vec::new()
            };
        let desc = f.description.clone().unwrap_or_else(|| {
            let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
            let mut d = format!("Line chart over {nc} points; series: {}", names.join(", "));
            if let (Some(first), Some(last)) = (self.categories.first(), self.categories.last()) {
                let _ = write!(d, "; from {first} to {last}");
            }
            d.push('.');
            d
        });
        let (mut s, plot) =
            svg::cartesian("line", f, &desc, &items, min, max, &self.categories, 6.0);
        let zero = plot.scale.map(0.0);
        s.line("axis zero", plot.x0, zero, plot.x1, zero, AXIS, 1.0);
        // Budgets first so actual lines draw on top.
        let mut order: Vec<usize> = (0..self.series.len()).collect();
        order.sort_by_key(|i| !self.series[*i].budget);
        for si in order {
            let ser = &self.series[si];
            let pts = &all[si];
            let color = svg::series_color(si);
            let no = svg::series_no(si);
            let budget = if ser.budget { " budget" } else { "" };
            let _ = write!(s.out, "<g class=\"series series-{no}{budget}\">");
            let mut d = String::new();
            let mut prev: Option<usize> = None;
            for (i, v) in pts {
                let cmd = if prev.is_some_and(|p| p + 1 == *i) {
                    'L'
                } else {
                    'M'
                };
                let _ = write!(
                    d,
                    "{cmd}{} {}",
                    n(plot.center(*i)),
                    n(plot.scale.map_dec(*v))
                );
                prev = Some(*i);
            }
            let dash = if ser.budget {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            let _ = write!(
                s.out,
                "<path class=\"line{budget} series-{no}\" d=\"{d}\" fill=\"none\" stroke=\"{color}\" \
                 stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"{dash}/>"
            );
            for (i, v) in pts {
                let tip = format!(
                    "{}, {}: {}",
                    ser.name,
                    self.categories[*i],
                    f.format.full(*v)
                );
                let (cx, cy) = (n(plot.center(*i)), n(plot.scale.map_dec(*v)));
                let isolated = !pts.iter().any(|(j, _)| j + 1 == *i || *j == i + 1);
                if self.markers && !ser.budget {
                    let _ = write!(
                        s.out,
                        "<circle class=\"marker series-{no}\" cx=\"{cx}\" cy=\"{cy}\" r=\"3.5\" \
                         fill=\"#fff\" stroke=\"{color}\" stroke-width=\"2\"><title>{}</title></circle>",
                        svg::escape(&tip)
                    );
                } else if isolated {
                    // A lone point has no line segment: show it as a dot.
                    let _ = write!(
                        s.out,
                        "<circle class=\"marker series-{no}\" cx=\"{cx}\" cy=\"{cy}\" r=\"3\" \
                         fill=\"{color}\"><title>{}</title></circle>",
                        svg::escape(&tip)
                    );
                } else {
                    // Invisible hit target so every point still has a tooltip.
                    let _ = write!(
                        s.out,
                        "<circle class=\"marker hit series-{no}\" cx=\"{cx}\" cy=\"{cy}\" r=\"6\" \
                         fill=\"transparent\"><title>{}</title></circle>",
                        svg::escape(&tip)
                    );
                }
            }
            s.push("</g>");
        }
        s.finish()
    }
}
