//! "Nice" axis ticks: steps of 1, 2, 2.5 or 5 × 10ⁿ, always spanning zero.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Tick values for an axis covering `min..=max` with roughly `target` intervals.
///
/// The range is widened to include zero (bars grow from a zero baseline) and to whole steps; the
/// step is 1, 2, 2.5 or 5 × 10ⁿ. Ticks are exact decimals, ascending, first ≤ `min`, last ≥ `max`.
/// An all-zero range gives `0, 1`.
///
/// ```
/// use charts::nice_ticks;
/// use rust_decimal::Decimal;
///
/// let ticks = nice_ticks(Decimal::from(-30), Decimal::from(95), 5);
/// let s: Vec<String> = ticks.iter().map(|t| t.to_string()).collect();
/// assert_eq!(s, ["-50", "-25", "0", "25", "50", "75", "100"]);
/// ```
pub fn nice_ticks(min: Decimal, max: Decimal, target: usize) -> Vec<Decimal> {
    let (min, max) = if min <= max { (min, max) } else { (max, min) };
    let lo = min.min(Decimal::ZERO);
    let mut hi = max.max(Decimal::ZERO);
    if lo == hi {
        hi = Decimal::ONE;
    }
    let target = target.clamp(1, 12);
    let span = hi
        .saturating_sub(lo)
        .to_f64()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let raw = span / target as f64;
    let mut exp = raw.log10().floor() as i32;
    let frac = raw / 10f64.powi(exp);
    let mult = [
        (1.0, Decimal::ONE),
        (2.0, Decimal::TWO),
        (2.5, Decimal::new(25, 1)),
        (5.0, Decimal::from(5)),
    ]
    .into_iter()
    .find(|(m, _)| *m >= frac - 1e-9)
    .map_or_else(
        || {
            exp += 1;
            Decimal::ONE
        },
        |(_, d)| d,
    );
    let step = mult * pow10(exp.clamp(-20, 27));
    let (Some(k0), Some(k1)) = (
        lo.checked_div(step).and_then(|q| q.floor().to_i64()),
        hi.checked_div(step).and_then(|q| q.ceil().to_i64()),
    ) else {
        return vec![lo, hi];
    };
    let ticks: Vec<Decimal> = (k0..=k1)
        .take(64)
        .filter_map(|k| Decimal::from(k).checked_mul(step))
        .map(|t| t.normalize())
        .collect();
    if ticks.len() < 2 { vec![lo, hi] } else { ticks }
}

fn pow10(exp: i32) -> Decimal {
    if exp >= 0 {
        (0..exp).fold(Decimal::ONE, |acc, _| acc.saturating_mul(Decimal::TEN))
    } else {
        Decimal::new(1, exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(min: &str, max: &str, expected: &[&str]) {
        let ticks = nice_ticks(min.parse().unwrap(), max.parse().unwrap(), 5);
        let got: Vec<String> = ticks.iter().map(|t| t.to_string()).collect();
        assert_eq!(got, expected, "nice_ticks({min}, {max})");
    }

    #[test]
    fn nice_ticks_table() {
        check("0", "95", &["0", "20", "40", "60", "80", "100"]);
        check("0", "100", &["0", "20", "40", "60", "80", "100"]);
        check("0", "1", &["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        check("0", "0", &["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        check("0", "12", &["0", "2.5", "5", "7.5", "10", "12.5"]);
        check(
            "0",
            "1234567",
            &["0", "250000", "500000", "750000", "1000000", "1250000"],
        );
        check("0", "7", &["0", "2", "4", "6", "8"]);
        check("5", "7", &["0", "2", "4", "6", "8"]);
        check("0", "3", &["0", "1", "2", "3"]);
        check("-30", "70", &["-40", "-20", "0", "20", "40", "60", "80"]);
        check("-100", "-5", &["-100", "-80", "-60", "-40", "-20", "0"]);
        check("0", "0.03", &["0", "0.01", "0.02", "0.03"]);
        check("70", "-30", &["-40", "-20", "0", "20", "40", "60", "80"]);
        check(
            "0",
            "48000",
            &["0", "10000", "20000", "30000", "40000", "50000"],
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        for (a, b) in [
            (Decimal::MIN, Decimal::MAX),
            (Decimal::ZERO, Decimal::MAX),
            (Decimal::MIN, Decimal::ZERO),
            (Decimal::new(1, 28), Decimal::new(2, 28)),
        ] {
            let t = nice_ticks(a, b, 5);
            assert!(t.len() >= 2);
            assert!(t.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
