//! Snapshot-style assertions on the rendered SVG of every chart kind.

mod common;

use charts::{BarChart, BudgetChart, ColumnChart, DonutChart, LineChart, ValueFormat};
use common::{assert_inside, attrs};
use rust_decimal::Decimal;

fn usd() -> ValueFormat {
    ValueFormat::currency("$")
}

/// Text of the tick labels of one axis group, in order.
fn ticks(svg: &str, axis: &str) -> Vec<String> {
    let start = svg
        .find(&format!("<g class=\"axis {axis}\">"))
        .expect("axis group");
    let group = &svg[start..start + svg[start..].find("</g>").unwrap()];
    group
        .split("<text class=\"tick\"")
        .skip(1)
        .map(|t| {
            let t = &t[t.find('>').unwrap() + 1..];
            let t = match t.find("</title>") {
                Some(i) => &t[i + 8..],
                None => t,
            };
            t[..t.find("</text>").unwrap()].to_owned()
        })
        .collect()
}

#[test]
fn bar_chart_structure() {
    let svg = BarChart::new("Spend by vendor")
        .format(usd())
        .bars([("Alpha LLP", 95_000), ("Beta", 40_000), ("Gamma", 12_500)])
        .render();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-bar\" role=\"img\" aria-labelledby=\"chart-spend-by-vendor-title chart-spend-by-vendor-desc\""));
    assert!(svg.contains("<title id=\"chart-spend-by-vendor-title\">Spend by vendor</title>"));
    assert!(svg.contains("<desc id=\"chart-spend-by-vendor-desc\">Horizontal bar chart with 3 bars; largest: Alpha LLP at $95,000.</desc>"));
    assert_eq!(svg.matches("<rect class=\"bar series-1\"").count(), 3);
    assert!(svg.contains("<title>Beta: $40,000</title></rect>"));
    assert!(svg.contains(">$12,500</text>"));
    assert_eq!(
        ticks(&svg, "x-axis"),
        ["$0", "$20K", "$40K", "$60K", "$80K", "$100K"]
    );
    assert_eq!(svg.matches("class=\"grid-line\"").count(), 5);
    assert!(svg.ends_with("</svg>"));
    assert_inside(&svg);
}

#[test]
fn bar_chart_top_n_and_other() {
    let chart = BarChart::new("Top vendors")
        .format(usd())
        .bars([("a", 5), ("b", 50), ("c", 20), ("d", 1), ("e", 2)])
        .top_n(2, "Other");
    let data = chart.data();
    let got: Vec<(String, String)> = data
        .iter()
        .map(|d| (d.label.clone(), d.value.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("b".into(), "50".into()),
            ("c".into(), "20".into()),
            ("Other".into(), "8".into())
        ]
    );
    let svg = chart.render();
    assert_eq!(svg.matches("<rect class=\"bar").count(), 3);
    assert_eq!(svg.matches("<rect class=\"bar series-5 other\"").count(), 1);
    // No "Other" when everything fits.
    let all = BarChart::new("t")
        .bars([("a", 1), ("b", 2)])
        .top_n(2, "Other");
    assert_eq!(all.data().len(), 2);
}

#[test]
fn bar_chart_negative_values() {
    let svg = BarChart::new("Savings")
        .format(usd())
        .bars([("Rate cuts", 30_000), ("Write-off reversal", -12_000)])
        .render();
    assert_eq!(
        ticks(&svg, "x-axis"),
        ["-$20K", "-$10K", "$0", "$10K", "$20K", "$30K"]
    );
    assert!(svg.contains("<title>Write-off reversal: -$12,000</title>"));
    // The negative bar ends left of the zero line and its label is anchored at its end.
    assert!(svg.contains("text-anchor=\"end\" dominant-baseline=\"central\" font-size=\"12\" fill=\"#434a57\">-$12,000</text>"));
    assert_inside(&svg);
}

#[test]
fn exact_values_in_labels() {
    let svg = BarChart::new("t")
        .format(usd())
        .bar("Odd cents", Decimal::new(123_456_789_012_345, 3))
        .render();
    assert!(svg.contains("$123,456,789,012.345"));
}

#[test]
fn escaping_user_text() {
    let evil = "<script>alert(\"x\")</script> & 'q'";
    let esc = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;";
    let charts = [
        BarChart::new(evil).bar(evil, 1).render(),
        ColumnChart::new(evil)
            .categories([evil])
            .series(evil, [1])
            .series("b", [2])
            .render(),
        LineChart::new(evil)
            .categories([evil])
            .series(evil, [1])
            .budget("b", [2])
            .render(),
        BudgetChart::new(evil).row(evil, 1, 2).render(),
        DonutChart::new(evil).slice(evil, 1).render(),
        BarChart::new(evil).render(),
    ];
    for svg in charts {
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("\"x\""), "{svg}");
        assert!(svg.contains(esc), "{svg}");
    }
    // Control characters XML cannot carry are dropped.
    let svg = BarChart::new("a\u{0}b\u{1b}c").bar("x", 1).render();
    assert!(svg.contains(">abc</title>"));
}

#[test]
fn long_labels_are_truncated_with_full_title() {
    let long = "Hargreaves Whitcombe Fairweather & Partners International LLP (London office)";
    let svg = BarChart::new("t").width(400).bar(long, 10).render();
    assert!(svg.contains("…</text>"));
    assert!(svg.contains(&format!("<title>{}</title>", charts::escape(long))));
    assert_inside(&svg);
}

#[test]
fn empty_data_renders_placeholder() {
    let empties = [
        BarChart::new("e").render(),
        ColumnChart::new("e").categories(["Jan"]).render(),
        ColumnChart::new("e").series("s", [1]).render(),
        LineChart::new("e")
            .categories(["Jan", "Feb"])
            .series("s", [None::<i64>, None])
            .render(),
        BudgetChart::new("e").render(),
        DonutChart::new("e")
            .slice("zero", 0)
            .slice("neg", -1)
            .render(),
    ];
    for svg in empties {
        assert!(svg.contains(">No data</text>"), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert_eq!(svg.matches("<rect class=\"bar").count(), 0);
        assert_inside(&svg);
    }
}

#[test]
fn column_chart_grouped_and_stacked() {
    let months = ["Jan", "Feb", "Mar"];
    let grouped = ColumnChart::new("g")
        .format(usd())
        .categories(months)
        .series("A", [10, 20, 30])
        .series("B", [5, 5, 5])
        .render();
    assert_eq!(grouped.matches("<rect class=\"bar series-1\"").count(), 3);
    assert_eq!(grouped.matches("<rect class=\"bar series-2\"").count(), 3);
    assert_eq!(ticks(&grouped, "y-axis"), ["$0", "$10", "$20", "$30"]);
    assert_eq!(ticks(&grouped, "x-axis"), months);
    assert!(grouped.contains("<g class=\"legend\">"));

    let stacked = ColumnChart::new("s")
        .format(usd())
        .categories(months)
        .series("A", [100, 200, 300])
        .series("B", [Some(50), None, Some(50)])
        .stacked(true)
        .render();
    assert_eq!(stacked.matches("<rect class=\"bar").count(), 5);
    assert_eq!(
        ticks(&stacked, "y-axis"),
        ["$0", "$50", "$100", "$150", "$200", "$250", "$300", "$350"]
    );
    assert!(stacked.contains(">$350</text>"), "stack total label");
    assert_inside(&stacked);

    let single = ColumnChart::new("n")
        .format(usd())
        .categories(["Q1", "Q2"])
        .series("Savings", [40_000, -10_000])
        .render();
    assert!(!single.contains("<g class=\"legend\">"));
    assert_eq!(
        ticks(&single, "y-axis"),
        ["-$10K", "$0", "$10K", "$20K", "$30K", "$40K"]
    );
    assert!(single.contains("<title>Q2: -$10,000</title>"));
    assert_inside(&single);
}

#[test]
fn line_chart_markers_budget_and_gaps() {
    let svg = LineChart::new("l")
        .format(ValueFormat::unit(" h"))
        .categories(["Jan", "Feb", "Mar", "Apr"])
        .series("Hours", [Some(1_200), None, Some(1_500), Some(1_650)])
        .budget("Plan", [1_000, 1_200, 1_400, 1_600])
        .markers(true)
        .render();
    assert_eq!(svg.matches("<path class=\"line series-1\"").count(), 1);
    assert_eq!(
        svg.matches("<path class=\"line budget series-2\"").count(),
        1
    );
    assert_eq!(svg.matches("<circle class=\"marker series-1\"").count(), 3);
    assert_eq!(
        svg.matches("<circle class=\"marker hit series-2\"").count(),
        4
    );
    assert!(svg.contains("<title>Hours, Apr: 1,650 h</title>"));
    assert_eq!(
        ticks(&svg, "y-axis"),
        [
            "0 h", "250 h", "500 h", "750 h", "1K h", "1.25K h", "1.5K h", "1.75K h"
        ]
    );
    // The gap starts a new subpath.
    let d = &attrs(&svg, "d")[1];
    assert_eq!(d.matches('M').count(), 2, "{d}");
    assert_inside(&svg);
}

#[test]
fn budget_chart_over_budget() {
    let chart = BudgetChart::new("b")
        .format(usd())
        .row("Over", 124_000, 100_000)
        .row("Under", 61_500, 80_000)
        .row("No budget", 5_000, 0);
    let svg = chart.render();
    assert_eq!(svg.matches("<rect class=\"bar danger\"").count(), 2);
    assert_eq!(svg.matches("<rect class=\"bar series-1\"").count(), 1);
    assert_eq!(svg.matches("<line class=\"budget\"").count(), 3);
    assert!(svg.contains("class=\"label value danger\""));
    assert!(svg.contains(">$124,000 of $100,000 · 24% over</text>"));
    assert!(svg.contains(">$5,000 of $0 · over</text>"));
    assert!(
        svg.contains(">Over budget</text>"),
        "legend names the colour"
    );
    assert_eq!(
        ticks(&svg, "x-axis"),
        ["$0", "$25K", "$50K", "$75K", "$100K", "$125K"]
    );
    assert_eq!(chart.data().len(), 3);
    assert_inside(&svg);
}

#[test]
fn donut_chart() {
    let svg = DonutChart::new("d")
        .format(usd())
        .slice("A", 1)
        .slice("B", 2)
        .slice("Skipped", -3)
        .render();
    assert_eq!(svg.matches("<path class=\"slice").count(), 2);
    assert!(svg.contains("<title>B: $2 (66.7%)</title>"));
    assert_inside(&svg);
    // A single slice is a full ring, not an empty arc.
    let one = DonutChart::new("d").slice("All", 5).render();
    assert_eq!(one.matches("<path class=\"slice").count(), 1);
    assert_inside(&one);
}

#[test]
fn output_is_deterministic_and_ids_configurable() {
    let make = || {
        ColumnChart::new("Same")
            .id("spend-2024")
            .categories(["a", "b"])
            .series("x", [1, 2])
            .render()
    };
    assert_eq!(make(), make());
    assert!(make().contains("aria-labelledby=\"spend-2024-title spend-2024-desc\""));
}

#[test]
fn coordinates_have_at_most_two_decimals() {
    let svg = LineChart::new("l")
        .width(333)
        .height(177)
        .categories(["a", "b", "c"])
        .series("s", [1, 7, 3])
        .render();
    for a in ["x", "y", "cx", "cy", "width", "height"] {
        for v in attrs(&svg, a) {
            let decimals = v.split_once('.').map_or(0, |(_, f)| f.len());
            assert!(decimals <= 2, "{a}={v}");
        }
    }
}
