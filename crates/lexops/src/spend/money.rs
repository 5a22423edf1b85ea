//! Exact money for storage and display: amounts are `rust_decimal::Decimal` in the domain and
//! integer ten-thousandths of the currency unit (`*_e4`) in the database — exact for every
//! amount LEDES can carry (up to four decimals).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Scale of stored amounts and units: 10^4.
pub const SCALE: u32 = 4;

/// A decimal as stored (`× 10^4`), or `None` if it has more than four decimals or overflows.
pub fn to_e4(d: Decimal) -> Option<i64> {
    let scaled = d.checked_mul(Decimal::from(10_000))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    scaled.to_i64()
}

/// A stored amount back as a decimal.
pub fn from_e4(v: i64) -> Decimal {
    Decimal::new(v, SCALE).normalize()
}

/// Formats an amount with thousands separators and two decimals (more when it has them):
/// `1,234.50`, `-70.00`, `0.0125`.
pub fn format_e4(v: i64) -> String {
    let d = Decimal::new(v, SCALE);
    let mut s = d.round_dp(4).normalize().to_string();
    if !s.contains('.') {
        s.push_str(".00");
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut frac = frac.to_string();
    while frac.len() < 2 {
        frac.push('0');
    }
    let neg = int.starts_with('-');
    let digits = int.trim_start_matches('-');
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if neg { "-" } else { "" })
}

/// Formats with the currency code: `USD 1,234.50`.
pub fn money(v: i64, currency: &str) -> String {
    format!("{currency} {}", format_e4(v))
}

/// Formats units (hours or quantities): `1.5`, `0.25`, `10`.
pub fn units(v: i64) -> String {
    Decimal::new(v, SCALE).normalize().to_string()
}

/// Parses a typed amount (`1,250.00`, `1250`, `-70`) into stored form.
pub fn parse_amount(s: &str) -> Result<i64, String> {
    let cleaned: String = s.trim().chars().filter(|c| *c != ',').collect();
    let d: Decimal = cleaned.parse().map_err(|_| {
        format!(
            "{} is not an amount: use digits and a decimal point, e.g. 1250.00",
            s.trim()
        )
    })?;
    to_e4(d).ok_or_else(|| format!("{} has more than four decimals", s.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_exactly() {
        for s in ["0", "1250.", "0.0001", "-70", "123456789.1234", "83.3325"] {
            let d: Decimal = s.trim_end_matches('.').parse().unwrap();
            assert_eq!(from_e4(to_e4(d).unwrap()), d.normalize(), "{s}");
        }
        assert_eq!(to_e4("0.00001".parse().unwrap()), None);
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_e4(12_345_000), "1,234.50");
        assert_eq!(format_e4(-700_000), "-70.00");
        assert_eq!(format_e4(125), "0.0125");
        assert_eq!(format_e4(10_000_000_000), "1,000,000.00");
        assert_eq!(money(6_300_000, "USD"), "USD 630.00");
        assert_eq!(units(15_000), "1.5");
        assert_eq!(parse_amount("1,250.00"), Ok(12_500_000));
        assert!(parse_amount("$12").is_err());
        assert!(parse_amount("1.00001").is_err());
    }
}
