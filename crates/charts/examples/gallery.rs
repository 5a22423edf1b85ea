//! Writes one SVG of each chart kind into the directory given as the first argument.
//!
//! `cargo run -p charts --example gallery -- /tmp/charts`

use std::{env, fs, path::PathBuf};

use charts::{BarChart, BudgetChart, ColumnChart, DonutChart, LineChart, ValueFormat};
use rust_decimal::Decimal;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    fs::create_dir_all(&dir)?;
    let usd = ValueFormat::currency("$");
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    let bar = BarChart::new("Spend by vendor, last 12 months")
        .format(usd.clone())
        .width(720)
        .bars([
            ("Baker & Lowe LLP", Decimal::new(124_005_050, 2)),
            (
                "Hargreaves Whitcombe Fairweather & Partners International LLP",
                Decimal::from(812_400),
            ),
            ("Acme eDiscovery <Managed Review>", Decimal::from(466_250)),
            ("Northwind Court Reporting", Decimal::from(98_300)),
            ("Contoso Translation", Decimal::from(41_900)),
            ("Fabrikam Experts", Decimal::from(35_000)),
            ("Litware Process Servers", Decimal::from(12_750)),
            ("Settlement credit (Globex)", Decimal::from(-60_000)),
        ])
        .top_n(6, "Other");
    fs::write(dir.join("bar.svg"), bar.render())?;

    let column = ColumnChart::new("Monthly spend by practice area")
        .format(usd.clone())
        .width(720)
        .categories(months)
        .series(
            "Litigation",
            [
                82_000, 76_500, 91_200, 104_000, 99_800, 120_400, 88_000, 79_300, 93_100, 110_500,
                97_600, 131_200,
            ],
        )
        .series(
            "Employment",
            [
                21_000, 18_400, 25_100, 19_900, 23_300, 27_800, 24_000, 20_100, 22_700, 26_400,
                25_000, 29_900,
            ],
        )
        .series(
            "Intellectual property",
            [
                35_500, 41_000, 38_200, 44_700, 39_900, 47_300, 52_100, 49_800, 45_600, 51_000,
                48_300, 55_700,
            ],
        )
        .series(
            "Corporate",
            [
                12_000, 15_600, 9_800, 14_200, 18_900, 16_400, 13_300, 17_700, 15_100, 19_800,
                21_200, 24_600,
            ],
        )
        .stacked(true);
    fs::write(dir.join("column.svg"), column.render())?;

    let single = ColumnChart::new("Net savings by quarter")
        .format(usd.clone())
        .width(480)
        .categories(["Q1", "Q2", "Q3", "Q4"])
        .series("Savings", [42_500, -12_000, 63_250, 18_000]);
    fs::write(dir.join("column-single.svg"), single.render())?;

    let line = LineChart::new("Cumulative spend vs budget")
        .format(usd.clone())
        .width(720)
        .categories(months)
        .series(
            "Actual",
            [
                Some(138_000),
                Some(270_000),
                Some(405_500),
                Some(560_000),
                Some(702_300),
                Some(880_000),
                Some(1_041_000),
                Some(1_188_200),
                None,
                None,
                None,
                None,
            ],
        )
        .series(
            "Forecast",
            [
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(1_188_200),
                Some(1_342_000),
                Some(1_498_000),
                Some(1_651_000),
                Some(1_810_000),
            ],
        )
        .budget(
            "Budget",
            [
                150_000, 300_000, 450_000, 600_000, 750_000, 900_000, 1_050_000, 1_200_000,
                1_350_000, 1_500_000, 1_650_000, 1_800_000,
            ],
        )
        .markers(true);
    fs::write(dir.join("line.svg"), line.render())?;

    let budget = BudgetChart::new("Matter budgets")
        .format(usd.clone())
        .width(720)
        .row("Smith v. Jones Manufacturing", 124_000, 100_000)
        .row("Acme acquisition", 61_500, 80_000)
        .row("Globex patent portfolio review", 212_750, 250_000)
        .row("Initech wage & hour class action", 98_400, 75_000)
        .row("Data-breach response", 15_200, 60_000);
    fs::write(dir.join("budget.svg"), budget.render())?;

    let donut = DonutChart::new("Spend by practice area")
        .format(usd.clone())
        .width(480)
        .height(220)
        .slice("Litigation", 1_173_600)
        .slice("Intellectual property", 549_100)
        .slice("Employment", 283_600)
        .slice("Corporate", 198_600)
        .slice("Regulatory", 87_250);
    fs::write(dir.join("donut.svg"), donut.render())?;

    fs::write(dir.join("empty.svg"), BarChart::new("Nothing yet").render())?;
    println!("wrote charts to {}", dir.display());
    Ok(())
}
