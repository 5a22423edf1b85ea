//! Low-level SVG writing shared by all charts: escaping, coordinates, text measuring, the
//! document frame, axes and legends.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::ValueFormat;

/// The series palette: indigo, teal, amber, rose, slate, violet (`.series-1` … `.series-6`).
pub const PALETTE: [&str; 6] = [
    "#3f3fc4", "#0f8b8d", "#c7850f", "#d1476b", "#64748b", "#7c4dd6",
];
/// Fill for over-budget bars and warnings (`.danger`).
pub const DANGER: &str = "#b42318";
/// Grid lines (`.grid-line`).
pub const GRID: &str = "#e2e5ea";
/// Text (`.label`, axis labels).
pub const TEXT: &str = "#434a57";
/// The zero baseline and budget markers.
pub const AXIS: &str = "#8a919e";
/// Secondary text (tick labels).
pub const MUTED: &str = "#6b7280";

pub(crate) const FONT_SIZE: f64 = 12.0;
pub(crate) const SMALL: f64 = 11.0;

/// 1-based series number for CSS classes, cycling after six.
pub(crate) fn series_no(i: usize) -> usize {
    i % PALETTE.len() + 1
}

pub(crate) fn series_color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

pub(crate) fn to_f64(d: Decimal) -> f64 {
    d.to_f64().filter(|f| f.is_finite()).unwrap_or(0.0)
}

/// XML-escapes text and attribute values; drops characters XML cannot carry.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most two decimals, no trailing zeros, never NaN or `-0`.
pub(crate) fn n(x: f64) -> String {
    if !x.is_finite() {
        return "0".to_owned();
    }
    let s = format!("{x:.2}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Estimated rendered width of `s` in pixels (no font metrics on the server; errs wide).
pub(crate) fn text_width(s: &str, font_size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | '\'' | '|' | '!' | ':' | ';' => 0.32,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '-' => 0.4,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.95,
            '0'..='9' | '$' => 0.64,
            'A'..='Z' | '&' => 0.72,
            '<' | '>' | '=' | '+' | '~' => 0.84,
            c if c.is_ascii() => 0.62,
            c if (c as u32) >= 0x1100 => 1.0,
            _ => 0.66,
        })
        .sum();
    em * font_size
}

/// Truncates `s` with an ellipsis to fit `max_width`; returns the text and whether it was cut.
pub(crate) fn fit(s: &str, max_width: f64, font_size: f64) -> (String, bool) {
    if text_width(s, font_size) <= max_width {
        return (s.to_owned(), false);
    }
    let budget = max_width - text_width("…", font_size);
    let mut out = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = text_width(c.encode_utf8(&mut [0; 4]), font_size);
        if w + cw > budget {
            break;
        }
        w += cw;
        out.push(c);
    }
    let mut out = out.trim_end().to_owned();
    out.push('…');
    (out, true)
}

/// Moves the centre `x` of a text `2 × half` wide so it stays inside `0..w` where possible.
pub(crate) fn keep_inside(x: f64, half: f64, w: f64) -> f64 {
    if 2.0 * half + 2.0 >= w {
        w / 2.0
    } else {
        x.clamp(half + 1.0, w - half - 1.0)
    }
}

/// Settings every chart shares: accessible title and description, element id, size, format.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub title: String,
    pub description: Option<String>,
    pub id: Option<String>,
    pub width: f64,
    pub height: Option<f64>,
    pub format: ValueFormat,
}

impl Frame {
    pub fn new(title: String) -> Self {
        Self {
            title,
            description: None,
            id: None,
            width: 640.0,
            height: None,
            format: ValueFormat::plain(),
        }
    }

    /// The id prefix: the caller's, or a slug of the title. Only `[a-z0-9-]`.
    pub fn id(&self) -> String {
        let src = self.id.as_deref().unwrap_or(&self.title);
        let mut slug = String::new();
        for c in src.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        if slug.is_empty() {
            "chart".to_owned()
        } else if self.id.is_some() {
            slug.to_owned()
        } else {
            format!("chart-{slug}")
        }
    }

    pub fn height_or(&self, auto: f64) -> f64 {
        clamp_size(self.height.unwrap_or(auto))
    }
}

pub(crate) fn clamp_size(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(120.0, 4000.0)
    } else {
        320.0
    }
}

/// Builds the chart methods every chart type shares (title and size setters).
macro_rules! frame_methods {
    () => {
        /// Sets the accessible description (`<desc>`); by default one is generated from the data.
        pub fn description(mut self, text: impl Into<String>) -> Self {
            self.frame.description = Some(text.into());
            self
        }

        /// Sets the id prefix used for `aria-labelledby` (needed when a page shows two charts
        /// with the same title). Defaults to `chart-` plus a slug of the title.
        pub fn id(mut self, id: impl Into<String>) -> Self {
            self.frame.id = Some(id.into());
            self
        }

        /// Sets the pixel width (clamped to 120..=4000; default 640).
        pub fn width(mut self, width: u32) -> Self {
            self.frame.width = $crate::svg::clamp_size(f64::from(width));
            self
        }

        /// Sets the pixel height (clamped to 120..=4000). Bar and budget charts grow with their
        /// rows when no height is set; other charts default to 320.
        pub fn height(mut self, height: u32) -> Self {
            self.frame.height = Some(f64::from(height));
            self
        }

        /// Sets how values are written in labels, tooltips and axes.
        pub fn format(mut self, format: $crate::ValueFormat) -> Self {
            self.frame.format = format;
            self
        }
    };
}
pub(crate) use frame_methods;

/// An SVG document being written.
pub(crate) struct Svg {
    pub out: String,
}

impl Svg {
    pub fn open(kind: &str, frame: &Frame, desc: &str, w: f64, h: f64) -> Self {
        let id = frame.id();
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{kind}\" role=\"img\" \
             aria-labelledby=\"{id}-title {id}-desc\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, \
             'Helvetica Neue', Arial, sans-serif\" font-size=\"{fs}\" fill=\"{TEXT}\">\
             <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
            w = n(w),
            h = n(h),
            fs = n(FONT_SIZE),
            title = escape(&frame.title),
            desc = escape(desc),
        );
        Self { out }
    }

    pub fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A text element; `full` (when different) becomes a `<title>` tooltip.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        class: &str,
        x: f64,
        y: f64,
        anchor: &str,
        size: f64,
        fill: &str,
        shown: &str,
        full: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" \
             dominant-baseline=\"central\" font-size=\"{}\" fill=\"{fill}\">",
            n(x),
            n(y),
            n(size)
        );
        if let Some(full) = full.filter(|f| *f != shown) {
            let _ = write!(self.out, "<title>{}</title>", escape(full));
        }
        self.out.push_str(&escape(shown));
        self.out.push_str("</text>");
    }

    #[allow(clippy::too_many_arguments)]
    pub fn line(&mut self, class: &str, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, sw: f64) {
        let _ = write!(
            self.out,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" \
             stroke-width=\"{}\"/>",
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            n(sw)
        );
    }

    /// A bar with a tooltip; `rx` rounds the corners slightly.
    #[allow(clippy::too_many_arguments)]
    pub fn bar(&mut self, class: &str, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        let _ = write!(
            self.out,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" \
             fill=\"{fill}\"><title>{}</title></rect>",
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0)),
            escape(tip)
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// The "No data" placeholder every chart renders for an empty dataset.
pub(crate) fn empty(kind: &str, frame: &Frame) -> String {
    let w = frame.width;
    let h = frame.height.map_or(120.0, clamp_size).min(160.0);
    let mut svg = Svg::open(kind, frame, "No data", w, h);
    let _ = write!(
        svg.out,
        "<rect class=\"empty\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" rx=\"4\" \
         fill=\"none\" stroke=\"{GRID}\" stroke-dasharray=\"4 3\"/>",
        n(w - 1.0),
        n(h - 1.0)
    );
    svg.text(
        "label empty",
        w / 2.0,
        h / 2.0,
        "middle",
        FONT_SIZE,
        MUTED,
        "No data",
        None,
    );
    svg.finish()
}

/// Maps a value domain onto a pixel range, clamped to the range.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn from_ticks(ticks: &[Decimal], r0: f64, r1: f64) -> Self {
        let d0 = ticks.first().copied().map_or(0.0, to_f64);
        let d1 = ticks.last().copied().map_or(1.0, to_f64);
        Self { d0, d1, r0, r1 }
    }

    pub fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        let t = if span.abs() > f64::EPSILON && span.is_finite() {
            (v - self.d0) / span
        } else {
            0.0
        };
        let p = self.r0 + t.clamp(0.0, 1.0) * (self.r1 - self.r0);
        if p.is_finite() { p } else { self.r0 }
    }

    pub fn map_dec(&self, v: Decimal) -> f64 {
        self.map(to_f64(v))
    }
}

/// Ticks for an axis `len` pixels long: the tightest nice range whose labels still have room
/// (`min_gap` pixels per tick, or the widest label plus padding on a horizontal axis).
pub(crate) fn axis_ticks(
    min: Decimal,
    max: Decimal,
    len: f64,
    format: &ValueFormat,
    horizontal: bool,
) -> (Vec<Decimal>, Vec<String>) {
    let base = (len / if horizontal { 90.0 } else { 48.0 })
        .round()
        .clamp(2.0, 8.0) as usize;
    let mut best: Option<(f64, Vec<Decimal>, Vec<String>)> = None;
    for target in base..=base + 3 {
        let ticks = crate::nice_ticks(min, max, target);
        let labels = tick_labels(&ticks, format);
        let need = if horizontal {
            labels
                .iter()
                .map(|l| text_width(l, SMALL))
                .fold(0.0, f64::max)
                + 6.0
        } else {
            30.0
        };
        let room = len / (ticks.len().max(2) - 1) as f64;
        let span = to_f64(ticks.last().copied().unwrap_or_default())
            - to_f64(ticks.first().copied().unwrap_or_default());
        let fits = room >= need;
        match &best {
            None => best = Some((span, ticks, labels)),
            Some((b, ..)) if fits && span < *b * 0.95 => best = Some((span, ticks, labels)),
            _ => {}
        }
    }
    let (_, ticks, labels) = best.unwrap_or_default();
    (ticks, labels)
}

/// Tick labels: compact, exact to two digits of the unit.
pub(crate) fn tick_labels(ticks: &[Decimal], format: &ValueFormat) -> Vec<String> {
    ticks.iter().map(|t| format.compact_dp(*t, 2)).collect()
}

/// One entry of a legend.
pub(crate) struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

pub(crate) enum Swatch {
    /// A filled square: fill colour and CSS class.
    Box(&'static str, String),
    /// A line sample: colour, class, dashed, with marker.
    Line(&'static str, String, bool, bool),
    /// A vertical budget tick.
    Tick,
}

const LEGEND_ROW: f64 = 20.0;

fn legend_item_width(item: &LegendItem) -> f64 {
    let sw = match item.swatch {
        Swatch::Box(..) | Swatch::Tick => 14.0,
        Swatch::Line(..) => 24.0,
    };
    sw + text_width(&item.label, FONT_SIZE).min(220.0) + 18.0
}

/// Height the legend needs at this width (0 without items).
pub(crate) fn legend_height(items: &[LegendItem], width: f64) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    let mut rows = 1.0;
    let mut x = 0.0;
    for it in items {
        let w = legend_item_width(it);
        if x > 0.0 && x + w > width {
            rows += 1.0;
            x = 0.0;
        }
        x += w;
    }
    rows * LEGEND_ROW + 6.0
}

/// Draws the legend in a row starting at (`x0`, `y0`), wrapping within `width`.
pub(crate) fn legend(svg: &mut Svg, items: &[LegendItem], x0: f64, y0: f64, width: f64) {
    if items.is_empty() {
        return;
    }
    svg.push("<g class=\"legend\">");
    let (mut x, mut y) = (0.0, y0 + LEGEND_ROW / 2.0);
    for it in items {
        let w = legend_item_width(it);
        if x > 0.0 && x + w > width {
            x = 0.0;
            y += LEGEND_ROW;
        }
        let sx = x0 + x;
        let text_x = match &it.swatch {
            Swatch::Box(fill, class) => {
                let _ = write!(
                    svg.out,
                    "<rect class=\"swatch {class}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" \
                     rx=\"2\" fill=\"{fill}\"/>",
                    n(sx),
                    n(y - 5.0)
                );
                sx + 14.0
            }
            Swatch::Line(stroke, class, dashed, marker) => {
                let dash = if *dashed {
                    " stroke-dasharray=\"5 3\""
                } else {
                    ""
                };
                let _ = write!(
                    svg.out,
                    "<line class=\"swatch {class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" \
                     stroke=\"{stroke}\" stroke-width=\"2\"{dash}/>",
                    n(sx),
                    n(y),
                    n(sx + 18.0),
                    n(y)
                );
                if *marker {
                    let _ = write!(
                        svg.out,
                        "<circle class=\"swatch marker {class}\" cx=\"{}\" cy=\"{}\" r=\"3\" \
                         fill=\"#fff\" stroke=\"{stroke}\" stroke-width=\"2\"/>",
                        n(sx + 9.0),
                        n(y)
                    );
                }
                sx + 24.0
            }
            Swatch::Tick => {
                svg.line(
                    "swatch budget",
                    sx + 5.0,
                    y - 7.0,
                    sx + 5.0,
                    y + 7.0,
                    TEXT,
                    2.0,
                );
                sx + 14.0
            }
        };
        let (shown, _) = fit(&it.label, 220.0_f64.min(x0 + width - text_x), FONT_SIZE);
        svg.text(
            "label",
            text_x,
            y,
            "start",
            FONT_SIZE,
            TEXT,
            &shown,
            Some(&it.label),
        );
        x += w;
    }
    svg.push("</g>");
}

/// Horizontal grid lines and value labels for a vertical value axis.
pub(crate) fn value_axis_y(
    svg: &mut Svg,
    ticks: &[Decimal],
    labels: &[String],
    scale: &Scale,
    x0: f64,
    x1: f64,
) {
    svg.push("<g class=\"grid\">");
    for t in ticks {
        if !t.is_zero() {
            let y = scale.map_dec(*t);
            svg.line("grid-line", x0, y, x1, y, GRID, 1.0);
        }
    }
    svg.push("</g><g class=\"axis y-axis\">");
    for (t, l) in ticks.iter().zip(labels) {
        let y = scale.map_dec(*t);
        svg.text("tick", x0 - 8.0, y, "end", SMALL, MUTED, l, None);
    }
    svg.push("</g>");
}

/// Band layout over categories with their (possibly thinned, truncated) labels below.
pub(crate) fn category_axis_x(svg: &mut Svg, categories: &[String], x0: f64, band: f64, y: f64) {
    let widest = categories
        .iter()
        .map(|c| text_width(c, SMALL))
        .fold(0.0, f64::max)
        .min(120.0);
    // Show every `skip`-th label when the bands are narrower than the labels need.
    let need = widest.max(28.0) + 6.0;
    let skip = ((need / band.max(1.0)).ceil() as usize).max(1);
    let room = (band * skip as f64 - 6.0).max(12.0);
    svg.push("<g class=\"axis x-axis\">");
    for (i, c) in categories.iter().enumerate() {
        if i % skip != 0 {
            continue;
        }
        let (shown, _) = fit(c, room, SMALL);
        let cx = x0 + band * (i as f64 + 0.5);
        svg.text("tick", cx, y, "middle", SMALL, MUTED, &shown, Some(c));
    }
    svg.push("</g>");
}

/// The plot area of a chart with a vertical value axis and categories along x.
pub(crate) struct Plot {
    pub x0: f64,
    pub x1: f64,
    pub y1: f64,
    pub band: f64,
    pub scale: Scale,
}

impl Plot {
    pub fn center(&self, i: usize) -> f64 {
        self.x0 + self.band * (i as f64 + 0.5)
    }
}

/// Opens the document and draws legend, grid, value axis and category labels. `headroom` is
/// extra space above the plot for value labels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cartesian(
    kind: &str,
    frame: &Frame,
    desc: &str,
    items: &[LegendItem],
    min: Decimal,
    max: Decimal,
    categories: &[String],
    headroom: f64,
) -> (Svg, Plot) {
    let w = frame.width;
    let h = frame.height_or(320.0);
    let legend_h = legend_height(items, w - 16.0);
    let y0 = (legend_h + 10.0 + headroom).min(h * 0.5);
    let y1 = (h - 26.0).max(y0 + 20.0);
    let (ticks, labels) = axis_ticks(min, max, y1 - y0, &frame.format, false);
    let gutter = labels
        .iter()
        .map(|l| text_width(l, SMALL))
        .fold(0.0, f64::max)
        .min(w * 0.3);
    let x0 = gutter + 14.0;
    let x1 = (w - 10.0).max(x0 + 20.0);
    let scale = Scale::from_ticks(&ticks, y1, y0);
    let band = (x1 - x0) / categories.len().max(1) as f64;
    let mut svg = Svg::open(kind, frame, desc, w, h);
    legend(&mut svg, items, 8.0, 4.0, w - 16.0);
    value_axis_y(&mut svg, &ticks, &labels, &scale, x0, x1);
    category_axis_x(&mut svg, categories, x0, band, y1 + 14.0);
    (
        svg,
        Plot {
            x0,
            x1,
            y1,
            band,
            scale,
        },
    )
}
