//! Donut chart: parts of a whole (e.g. spend by practice area), with a legend carrying each
//! slice's value and share so colour is never the only key.

use std::f64::consts::PI;
use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::svg::{self, FONT_SIZE, Frame, MUTED, SMALL, Svg, TEXT, fit, frame_methods, n};
use crate::{Datum, ValueFormat};

/// A donut chart. Slices with zero or negative values cannot be drawn as parts of a whole: they
/// are left out of the ring but still listed by [`DonutChart::data`].
///
/// ```
/// use charts::{DonutChart, ValueFormat};
///
/// let svg = DonutChart::new("Spend by practice area")
///     .format(ValueFormat::currency("$"))
///     .slice("Litigation", 300_000)
///     .slice("Employment", 100_000)
///     .render();
/// assert_eq!(svg.matches("<path class=\"slice").count(), 2);
/// assert!(svg.contains("<title>Litigation: $300,000 (75%)</title>"));
/// ```
#[derive(Debug, Clone)]
pub struct DonutChart {
    frame: Frame,
    slices: Vec<Datum>,
}

impl DonutChart {
    /// A new, empty chart; `title` is the accessible name (`<title>`).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            frame: Frame::new(title.into()),
            slices: Vec::new(),
        }
    }

    frame_methods!();

    /// Adds a slice.
    pub fn slice(mut self, label: impl Into<String>, value: impl Into<Decimal>) -> Self {
        self.slices.push(Datum {
            label: label.into(),
            value: value.into(),
        });
        self
    }

    /// The slices as given, for the table beside the chart.
    pub fn data(&self) -> &[Datum] {
        &self.slices
    }

    /// Renders the chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let f = &self.frame;
        let parts: Vec<(usize, &Datum)> = self
            .slices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.value > Decimal::ZERO)
            .collect();
        let total = parts
            .iter()
            .fold(Decimal::ZERO, |acc, (_, d)| acc.saturating_add(d.value));
        if parts.is_empty() || total.is_zero() {
            return svg::empty("donut", f);
        }
        let w = f.width;
        let h = f.height_or(240.0);
        let r = ((h - 16.0) / 2.0).min(w * 0.22).max(20.0);
        let (cx, cy) = (8.0 + r, h / 2.0);
        let inner = r * 0.6;
        let fmt: &ValueFormat = &f.format;
        let pct = |v: Decimal| -> Decimal {
            v.checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|x| x.checked_div(total))
                .unwrap_or_default()
                .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        };
        let desc = f.description.clone().unwrap_or_else(|| {
            format!(
                "Donut chart with {} slices totalling {}.",
                parts.len(),
                fmt.full(total)
            )
        });
        let mut s = Svg::open("donut", f, &desc, w, h);
        let total_f = svg::to_f64(total);
        let mut angle = -PI / 2.0;
        s.push("<g class=\"slices\">");
        for (i, d) in &parts {
            let share = (svg::to_f64(d.value) / total_f).clamp(0.0, 1.0);
            let sweep = (share * 2.0 * PI).min(2.0 * PI - 1e-4);
            let end = angle + sweep;
            let large = u8::from(sweep > PI);
            let p = |rad: f64, a: f64| (cx + rad * a.cos(), cy + rad * a.sin());
            let (ax, ay) = p(r, angle);
            let (bx, by) = p(r, end);
            let (cx2, cy2) = p(inner, end);
            let (dx, dy) = p(inner, angle);
            let no = svg::series_no(*i);
            let tip = format!("{}: {} ({}%)", d.label, fmt.full(d.value), pct(d.value));
            let _ = write!(
                s.out,
                "<path class=\"slice series-{no}\" d=\"M{} {}A{} {} 0 {large} 1 {} {}L{} {}A{} {} 0 \
                 {large} 0 {} {}Z\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1.5\"><title>{}</title></path>",
                n(ax),
                n(ay),
                n(r),
                n(r),
                n(bx),
                n(by),
                n(cx2),
                n(cy2),
                n(inner),
                n(inner),
                n(dx),
                n(dy),
                svg::series_color(*i),
                svg::escape(&tip)
            );
            angle = end;
        }
        s.push("</g>");
        let total_label = fmt.compact(total);
        s.text(
            "label total",
            cx,
            cy - 7.0,
            "middle",
            15.0,
            TEXT,
            &total_label,
            Some(&fmt.full(total)),
        );
        s.text(
            "label",
            cx,
            cy + 11.0,
            "middle",
            SMALL,
            MUTED,
            "Total",
            None,
        );
        // Legend: swatch, name, value and share.
        let lx = cx + r + 24.0;
        let room = w - lx - 8.0;
        let line = 22.0_f64.min((h - 16.0) / parts.len() as f64);
        let y0 = cy - line * (parts.len() as f64 - 1.0) / 2.0;
        s.push("<g class=\"legend\">");
        for (k, (i, d)) in parts.iter().enumerate() {
            let y = y0 + line * k as f64;
            let _ = write!(
                s.out,
                "<rect class=\"swatch series-{}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{}\"/>",
                svg::series_no(*i),
                n(lx),
                n(y - 5.0),
                svg::series_color(*i)
            );
            let value = format!("{} · {}%", fmt.full(d.value), pct(d.value));
            let vw = svg::text_width(&value, FONT_SIZE);
            let (name, _) = fit(&d.label, (room - vw - 30.0).max(20.0), FONT_SIZE);
            s.text(
                "label",
                lx + 16.0,
                y,
                "start",
                FONT_SIZE,
                TEXT,
                &name,
                Some(&d.label),
            );
            s.text(
                "label value",
                w - 8.0,
                y,
                "end",
                FONT_SIZE,
                MUTED,
                &value,
                None,
            );
        }
        s.push("</g>");
        s.finish()
    }
}
