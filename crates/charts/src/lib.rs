//! Server-rendered, accessible SVG charts for lexops dashboards.
//!
//! Each chart is a builder that renders to a standalone SVG `String`: horizontal bars
//! ([`BarChart`]), columns, grouped or stacked ([`ColumnChart`]), lines with dashed budgets
//! ([`LineChart`]), bullet-style budget vs actual ([`BudgetChart`]) and a donut
//! ([`DonutChart`]). The page shows the same numbers in a table beside the chart; every builder
//! has a `data()` accessor returning exactly what is drawn.
//!
//! **Values** are exact [`rust_decimal::Decimal`]s. Money kept as integer minor units converts
//! losslessly with `Decimal::new(minor, scale)` (e.g. `Decimal::new(1_240_050, 2)` = 12,400.50);
//! builders also accept plain integers. Labels and tooltips use [`ValueFormat::full`], which
//! never rounds; axes use [`ValueFormat::compact_dp`] (`$1.25M`). Floats appear only as pixel
//! coordinates, written with at most two decimals.
//!
//! **Output** is deterministic and self-contained: `role="img"` with `aria-labelledby` pointing
//! at `<title>` and `<desc>`; every bar, segment and point carries a `<title>` tooltip with its
//! exact label and value; all user text is XML-escaped; long category names are truncated with
//! an ellipsis (full name in a `<title>`). Elements carry CSS classes (`.chart`, `.axis`,
//! `.grid-line`, `.bar`, `.series-1`…`.series-6`, `.line`, `.marker`, `.label`, `.legend`,
//! `.danger`, `.budget`) and presentation attributes as defaults, so an app stylesheet can
//! restyle any of them (`.chart { font-family: inherit }` to use the page font). An empty
//! dataset renders a small "No data" SVG.
//!
//! ```
//! use charts::{BarChart, ValueFormat};
//!
//! let svg = BarChart::new("Spend by vendor")
//!     .format(ValueFormat::currency("$"))
//!     .bars([("Acme <Discovery>", 98_000), ("Baker LLP", 1_240_000)])
//!     .sorted()
//!     .render();
//! assert!(svg.starts_with("<svg "));
//! assert!(svg.contains("Acme &lt;Discovery&gt;: $98,000"));
//! ```

mod bar;
mod budget;
mod column;
mod donut;
mod format;
mod line;
mod svg;
mod ticks;

use rust_decimal::Decimal;

pub use bar::BarChart;
pub use budget::{BudgetChart, BudgetRow};
pub use column::ColumnChart;
pub use donut::DonutChart;
pub use format::ValueFormat;
pub use line::LineChart;
pub use svg::{DANGER, PALETTE, escape};
pub use ticks::nice_ticks;

/// One labelled value (a bar or a donut slice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datum {
    /// Category name as given (unescaped).
    pub label: String,
    /// The exact value.
    pub value: Decimal,
}

/// A named series of values, one per category; `None` is a missing value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Series name, shown in the legend and tooltips.
    pub name: String,
    /// One value per category, in category order.
    pub values: Vec<Option<Decimal>>,
    /// Drawn dashed as a budget line (line charts).
    pub budget: bool,
}

impl Series {
    /// A series from any values convertible with [`IntoValue`].
    pub fn new<V: IntoValue>(name: impl Into<String>, values: impl IntoIterator<Item = V>) -> Self {
        Self {
            name: name.into(),
            values: values.into_iter().map(IntoValue::into_value).collect(),
            budget: false,
        }
    }
}

/// Anything usable as a (possibly missing) chart value: `Decimal`, integers, and `Option`s.
pub trait IntoValue {
    /// The exact value, or `None` for a gap.
    fn into_value(self) -> Option<Decimal>;
}

impl IntoValue for Decimal {
    fn into_value(self) -> Option<Decimal> {
        Some(self)
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Option<Decimal> {
        self.and_then(IntoValue::into_value)
    }
}

macro_rules! into_value_int {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Option<Decimal> {
                Some(Decimal::from(self))
            }
        }
    )*};
}
into_value_int!(i32, i64, u32, u64);
