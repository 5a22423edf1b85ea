//! Exact decimal numbers from LEDES bytes, parsed by hand (no float, no intermediate `String`).

use rust_decimal::Decimal;

/// Why a number field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// A space inside or around the number.
    Space,
    /// A comma (thousands separator or decimal comma).
    Comma,
    /// A currency sign such as `$`, `€`, `£`.
    Currency,
    /// Parentheses for negatives, e.g. `(70.00)`.
    Parentheses,
    /// More than one decimal point, a sign in the middle, a letter, or no digit at all.
    Malformed,
    /// More than 28 significant digits.
    TooLong,
}

impl NumError {
    pub(crate) fn explain(self) -> &'static str {
        match self {
            NumError::Space => "it contains a space; remove spaces from numbers",
            NumError::Comma => {
                "it contains a comma; write numbers without thousands separators and with a decimal point"
            }
            NumError::Currency => "it contains a currency sign; write the bare number",
            NumError::Parentheses => {
                "negative amounts are written with a leading minus sign, not parentheses"
            }
            NumError::Malformed => {
                "it is not a number (digits, at most one decimal point, and an optional leading minus sign)"
            }
            NumError::TooLong => "it has more than 28 digits",
        }
    }
}

/// Parses `[+-]digits[.digits]`, also `1250.` (trailing point) and `.5` (no integer digit).
/// Returns the number keeping its written scale (`2.00` has scale 2).
pub(crate) fn parse_decimal(b: &[u8]) -> Result<Decimal, NumError> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mant: u128 = 0;
    let mut n_digits = 0u32;
    let mut scale: u32 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                if n_digits > 0 || c != b'0' {
                    n_digits += 1;
                }
                if n_digits > 28 || scale >= 28 {
                    return Err(NumError::TooLong);
                }
                mant = mant * 10 + u128::from(c - b'0');
                if seen_point {
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(classify(b)),
        }
    }
    if !any_digit {
        return Err(classify(b));
    }
    let v = mant as i128;
    let mut d = Decimal::try_from_i128_with_scale(if neg { -v } else { v }, scale)
        .map_err(|_| NumError::TooLong)?;
    if neg && mant == 0 {
        d.set_sign_positive(true);
    }
    Ok(d)
}

fn classify(b: &[u8]) -> NumError {
    if b.iter().any(|c| *c == b' ' || *c == b'\t') {
        NumError::Space
    } else if b.contains(&b',') {
        NumError::Comma
    } else if b.first() == Some(&b'(') || b.last() == Some(&b')') {
        NumError::Parentheses
    } else if b.iter().any(|c| matches!(c, b'$' | 0x80..=0xFF)) {
        // `$`, or any non-ASCII byte (€, £, ¥ are multi-byte in UTF-8 and single high bytes in
        // Windows-1252).
        NumError::Currency
    } else {
        NumError::Malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_tolerant_forms() {
        assert_eq!(parse_decimal(b"1250.").unwrap(), d("1250"));
        assert_eq!(parse_decimal(b"+100.00").unwrap(), d("100.00"));
        assert_eq!(parse_decimal(b"-70").unwrap(), d("-70"));
        assert_eq!(parse_decimal(b"0.200").unwrap().scale(), 3);
        assert_eq!(parse_decimal(b".5").unwrap(), d("0.5"));
        assert_eq!(parse_decimal(b"-0").unwrap(), Decimal::ZERO);
        assert_eq!(
            parse_decimal(b"0000000000000000000000000000000001.25").unwrap(),
            d("1.25")
        );
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(parse_decimal(b"1 250.00"), Err(NumError::Space));
        assert_eq!(parse_decimal(b"1,250.00"), Err(NumError::Comma));
        assert_eq!(parse_decimal(b"$1250"), Err(NumError::Currency));
        assert_eq!(parse_decimal("€12".as_bytes()), Err(NumError::Currency));
        assert_eq!(parse_decimal(b"(70)"), Err(NumError::Parentheses));
        assert_eq!(parse_decimal(b"1.2.3"), Err(NumError::Malformed));
        assert_eq!(parse_decimal(b"-"), Err(NumError::Malformed));
        assert_eq!(parse_decimal(b"."), Err(NumError::Malformed));
        assert_eq!(parse_decimal(b"12-"), Err(NumError::Malformed));
        assert_eq!(parse_decimal(b"1e5"), Err(NumError::Malformed));
        assert_eq!(parse_decimal(&[b'9'; 40]), Err(NumError::TooLong));
    }
}
