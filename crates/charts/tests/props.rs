//! Property tests: any data renders finite coordinates inside the viewBox, without panicking.

mod common;

use charts::{BarChart, BudgetChart, ColumnChart, DonutChart, LineChart, ValueFormat};
use common::assert_inside;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn value() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        8 => (-1_000_000_000i64..1_000_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
        2 => (any::<i64>(), 0u32..8).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => Just(Decimal::ZERO),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
    ]
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z &<>\"']{0,40}", any::<String>(),]
}

fn size() -> impl Strategy<Value = (u32, Option<u32>)> {
    (0u32..2500, proptest::option::of(0u32..1500))
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=5000 for a longer run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn bar_charts_stay_inside(rows in proptest::collection::vec((label(), value()), 0..14),
                              (w, h) in size(), top in proptest::option::of(1usize..6)) {
        let mut c = BarChart::new("p").format(ValueFormat::currency("$")).width(w).bars(rows);
        if let Some(h) = h { c = c.height(h); }
        if let Some(n) = top { c = c.top_n(n, "Other"); }
        assert_inside(&c.render());
    }

    #[test]
    fn column_charts_stay_inside(cats in proptest::collection::vec(label(), 0..14),
                                 series in proptest::collection::vec(
                                     proptest::collection::vec(proptest::option::of(value()), 0..14), 0..5),
                                 stacked in any::<bool>(), (w, h) in size()) {
        let mut c = ColumnChart::new("p").width(w).categories(cats).stacked(stacked);
        for (i, s) in series.into_iter().enumerate() { c = c.series(format!("s{i}"), s); }
        if let Some(h) = h { c = c.height(h); }
        assert_inside(&c.render());
    }

    #[test]
    fn line_charts_stay_inside(cats in proptest::collection::vec(label(), 0..14),
                               series in proptest::collection::vec(
                                   proptest::collection::vec(proptest::option::of(value()), 0..14), 0..4),
                               markers in any::<bool>(), (w, h) in size()) {
        let mut c = LineChart::new("p").width(w).categories(cats).markers(markers);
        for (i, s) in series.into_iter().enumerate() {
            c = if i == 1 { c.budget("b", s) } else { c.series(format!("s{i}"), s) };
        }
        if let Some(h) = h { c = c.height(h); }
        assert_inside(&c.render());
    }

    #[test]
    fn budget_and_donut_charts_stay_inside(rows in proptest::collection::vec((label(), value(), value()), 0..10),
                                           (w, h) in size()) {
        let mut b = BudgetChart::new("p").format(ValueFormat::unit(" h")).width(w);
        let mut d = DonutChart::new("p").width(w);
        for (l, a, bu) in rows {
            b = b.row(l.clone(), a, bu);
            d = d.slice(l, a);
        }
        if let Some(h) = h { b = b.height(h); d = d.height(h); }
        assert_inside(&b.render());
        assert_inside(&d.render());
    }
}
