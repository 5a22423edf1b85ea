//! A calendar date without time zone, as LEDES carries it (`YYYYMMDD` in the pipe formats,
//! `YYYY-MM-DD` in XML).

use serde::{Serialize, Serializer};
use std::fmt;

/// A real calendar date (proleptic Gregorian), years 1000–9999.
///
/// ```
/// use ledes::Date;
/// let d = Date::parse_yyyymmdd(b"19990225").unwrap();
/// assert_eq!((d.year(), d.month(), d.day()), (1999, 2, 25));
/// assert_eq!(d.to_string(), "1999-02-25");
/// assert_eq!(d.yyyymmdd(), "19990225");
/// assert!(Date::parse_yyyymmdd(b"19990229").is_none()); // 1999 is not a leap year
/// assert!(Date::new(2000, 2, 29).is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Days in a month of a year.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A checked constructor: `None` unless the date exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses exactly eight ASCII digits `YYYYMMDD`.
    pub fn parse_yyyymmdd(b: &[u8]) -> Option<Date> {
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, c| acc * 10 + u16::from(c - b'0'))
        };
        Date::new(n(0..4), n(4..6) as u8, n(6..8) as u8)
    }

    /// Parses `YYYY-MM-DD` (the XML form); a time part after `T` is ignored.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let s = s.trim();
        let s = s.split('T').next().unwrap_or(s);
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let mut compact = [0u8; 8];
        compact[..4].copy_from_slice(&b[..4]);
        compact[4..6].copy_from_slice(&b[5..7]);
        compact[6..].copy_from_slice(&b[8..10]);
        Date::parse_yyyymmdd(&compact)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The `YYYYMMDD` form used by the pipe formats.
    pub fn yyyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    pub(crate) fn write_yyyymmdd(self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 8];
        let y = self.year;
        buf[0] = b'0' + (y / 1000) as u8;
        buf[1] = b'0' + (y / 100 % 10) as u8;
        buf[2] = b'0' + (y / 10 % 10) as u8;
        buf[3] = b'0' + (y % 10) as u8;
        buf[4] = b'0' + self.month / 10;
        buf[5] = b'0' + self.month % 10;
        buf[6] = b'0' + self.day / 10;
        buf[7] = b'0' + self.day % 10;
        out.extend_from_slice(&buf);
    }

    /// Days since 0000-03-01 (used for generating dates and date arithmetic).
    pub fn ordinal(self) -> i64 {
        let (y, m) = if self.month <= 2 {
            (i64::from(self.year) - 1, i64::from(self.month) + 12)
        } else {
            (i64::from(self.year), i64::from(self.month))
        };
        365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + i64::from(self.day) - 1
    }

    /// The date `n` days later (or earlier, for negative `n`); `None` outside years 1000–9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        let z = self.ordinal() + n;
        // Inverse of `ordinal` (civil-from-days, Howard Hinnant's algorithm shifted to March).
        let mut y = (10000 * z + 14780) / 3652425;
        let mut ddd = z - (365 * y + y / 4 - y / 100 + y / 400);
        if ddd < 0 {
            y -= 1;
            ddd = z - (365 * y + y / 4 - y / 100 + y / 400);
        }
        let mi = (100 * ddd + 52) / 3060;
        let mm = (mi + 2) % 12 + 1;
        let y = y + (mi + 2) / 12;
        let dd = ddd - (mi * 306 + 5) / 10 + 1;
        Date::new(u16::try_from(y).ok()?, mm as u8, dd as u8)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year > 9999 {
            return write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day);
        }
        // By hand: dates are written for every line item stored (the formatting machinery
        // with widths was a visible share of an import).
        let (y, m, d) = (self.year, self.month, self.day);
        let digit = |v: u16| b'0' + (v % 10) as u8;
        let b = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(u16::from(m) / 10),
            digit(u16::from(m)),
            b'-',
            digit(u16::from(d) / 10),
            digit(u16::from(d)),
        ];
        f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_days_round_trips() {
        let d = Date::new(1999, 1, 1).unwrap();
        for n in [-400i64, -1, 0, 1, 30, 31, 59, 365, 366, 10_000] {
            let e = d.add_days(n).unwrap();
            assert_eq!(e.ordinal() - d.ordinal(), n, "{e}");
        }
        assert_eq!(d.add_days(58).unwrap(), Date::new(1999, 2, 28).unwrap());
        assert_eq!(d.add_days(59).unwrap(), Date::new(1999, 3, 1).unwrap());
    }

    #[test]
    fn displays_as_iso() {
        for (y, m, d, text) in [
            (2026, 1, 5, "2026-01-05"),
            (1000, 12, 31, "1000-12-31"),
            (9999, 10, 1, "9999-10-01"),
            (2000, 2, 29, "2000-02-29"),
        ] {
            assert_eq!(Date::new(y, m, d).unwrap().to_string(), text);
            assert_eq!(Date::parse_iso(text), Date::new(y, m, d));
        }
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "",
            "1999022",
            "199902250",
            "1999-225",
            "19991301",
            "19990001",
            "19990431",
            "2100022a",
        ] {
            assert!(Date::parse_yyyymmdd(s.as_bytes()).is_none(), "{s}");
        }
        assert!(Date::parse_yyyymmdd(b"20000229").is_some());
        assert!(Date::parse_yyyymmdd(b"21000229").is_none());
    }
}
