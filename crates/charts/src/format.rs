//! Exact value formatting: full labels with thousands separators and compact axis labels.
//!
//! Values are [`Decimal`]s. Money stored as integer minor units converts losslessly with
//! [`Decimal::new`] (`Decimal::new(1_240_050, 2)` is 12,400.50). The full formatter never
//! rounds: every significant digit of the value appears in the label.

use rust_decimal::{Decimal, RoundingStrategy};

/// How values are written: a prefix (currency symbol), a suffix (unit) and the minimum number of
/// fraction digits shown when a value is not whole.
///
/// ```
/// use charts::ValueFormat;
/// use rust_decimal::Decimal;
///
/// let usd = ValueFormat::currency("$");
/// assert_eq!(usd.full(Decimal::new(1_240_050, 2)), "$12,400.50");
/// assert_eq!(usd.full(Decimal::from(12_400)), "$12,400");
/// assert_eq!(usd.compact(Decimal::from(1_234_567)), "$1.2M");
/// assert_eq!(ValueFormat::unit(" h").full(Decimal::from(-1234)), "-1,234 h");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFormat {
    /// Written before the digits, after any minus sign (e.g. `"$"`, `"€"`).
    pub prefix: String,
    /// Written after the digits (e.g. `" h"`, `" docs"`, `"%"`).
    pub suffix: String,
    /// A value with a fractional part shows at least this many fraction digits (money: 2);
    /// whole values show none. More digits are shown when the value has them.
    pub min_fraction: u32,
}

impl Default for ValueFormat {
    fn default() -> Self {
        Self::plain()
    }
}

const UNITS: [(i64, &str); 4] = [
    (1_000_000_000_000, "T"),
    (1_000_000_000, "B"),
    (1_000_000, "M"),
    (1_000, "K"),
];

impl ValueFormat {
    /// Plain numbers: no prefix or suffix.
    pub fn plain() -> Self {
        Self {
            prefix: String::new(),
            suffix: String::new(),
            min_fraction: 0,
        }
    }

    /// Money with a currency symbol in front; cents shown as two digits when present.
    pub fn currency(symbol: &str) -> Self {
        Self {
            prefix: symbol.to_owned(),
            suffix: String::new(),
            min_fraction: 2,
        }
    }

    /// A quantity with a unit suffix, e.g. `ValueFormat::unit(" h")` gives `1,234 h`.
    pub fn unit(suffix: &str) -> Self {
        Self {
            prefix: String::new(),
            suffix: suffix.to_owned(),
            min_fraction: 0,
        }
    }

    /// The exact value with thousands separators, for labels and tooltips. Never rounds.
    pub fn full(&self, value: Decimal) -> String {
        let v = value.normalize();
        let (int, frac) = split_digits(v.abs());
        let mut frac = frac;
        if !frac.is_empty() {
            while frac.len() < self.min_fraction as usize {
                frac.push('0');
            }
        }
        self.assemble(v.is_sign_negative() && !v.is_zero(), &int, &frac, "")
    }

    /// A short label for axes and tight spaces: `1.2M`, `350K`, `$12.5K`, rounded to one
    /// fraction digit of the chosen unit (K, M, B, T).
    pub fn compact(&self, value: Decimal) -> String {
        self.compact_dp(value, 1)
    }

    /// Like [`ValueFormat::compact`] with up to `max_dp` fraction digits (trailing zeros
    /// dropped), so axis ticks such as `1.25M` stay exact.
    pub fn compact_dp(&self, value: Decimal, max_dp: u32) -> String {
        let abs = value.abs();
        let round = |d: Decimal| {
            d.round_dp_with_strategy(max_dp, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        };
        let thousand = Decimal::from(1000);
        // Index into UNITS of the unit to use; UNITS.len() means "no unit".
        let mut idx = UNITS
            .iter()
            .position(|(u, _)| abs >= Decimal::from(*u))
            .unwrap_or(UNITS.len());
        let scaled = |idx: usize| -> Decimal {
            match UNITS.get(idx) {
                Some((u, _)) => round(abs / Decimal::from(*u)),
                None => round(abs),
            }
        };
        let mut s = scaled(idx);
        // 999,950 rounds to "1000K": move up to "1M".
        if s >= thousand && idx > 0 {
            idx -= 1;
            s = scaled(idx);
        }
        let letter = UNITS.get(idx).map_or("", |(_, l)| *l);
        let (int, frac) = split_digits(s);
        self.assemble(
            value.is_sign_negative() && !s.is_zero(),
            &int,
            &frac,
            letter,
        )
    }

    fn assemble(&self, negative: bool, int: &str, frac: &str, letter: &str) -> String {
        let mut out = String::with_capacity(int.len() + frac.len() + 8);
        if negative {
            out.push('-');
        }
        out.push_str(&self.prefix);
        out.push_str(&group_thousands(int));
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out.push_str(letter);
        out.push_str(&self.suffix);
        out
    }
}

/// Splits a non-negative decimal into its integer and fraction digit strings.
fn split_digits(abs: Decimal) -> (String, String) {
    let s = abs.to_string();
    match s.split_once('.') {
        Some((i, f)) => (i.to_owned(), f.trim_end_matches('0').to_owned()),
        None => (s, String::new()),
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn compact_table() {
        let usd = ValueFormat::currency("$");
        let cases = [
            ("0", "$0"),
            ("7", "$7"),
            ("12.345", "$12.3"),
            ("999", "$999"),
            ("999.96", "$1K"),
            ("1000", "$1K"),
            ("12400", "$12.4K"),
            ("350000", "$350K"),
            ("999950", "$1M"),
            ("1234567", "$1.2M"),
            ("2500000", "$2.5M"),
            ("-350000", "-$350K"),
            ("-0.01", "$0"),
            ("3000000000", "$3B"),
            ("4200000000000", "$4.2T"),
            ("5000000000000000", "$5,000T"),
        ];
        for (input, want) in cases {
            assert_eq!(usd.compact(d(input)), want, "compact({input})");
        }
        assert_eq!(usd.compact_dp(d("1250000"), 2), "$1.25M");
        assert_eq!(ValueFormat::unit(" h").compact(d("1234")), "1.2K h");
    }

    #[test]
    fn full_is_exact() {
        let usd = ValueFormat::currency("$");
        assert_eq!(usd.full(d("1234567.891")), "$1,234,567.891");
        assert_eq!(usd.full(d("12400.5")), "$12,400.50");
        assert_eq!(usd.full(d("12400.00")), "$12,400");
        assert_eq!(usd.full(d("-0.5")), "-$0.50");
        assert_eq!(usd.full(d("-0")), "$0");
        assert_eq!(usd.full(d("100")), "$100");
        assert_eq!(ValueFormat::plain().full(d("1000")), "1,000");
        assert_eq!(
            ValueFormat::plain().full(Decimal::MAX),
            "79,228,162,514,264,337,593,543,950,335"
        );
    }
}
