//! Normalised answers for the categories where CUAD has them, read from the evidence span:
//! dates (ISO 8601), durations ("2 years", "90 days"), the governing jurisdiction ("New York",
//! "England and Wales") and "Perpetual" expiry.

use regex::Regex;
use std::sync::LazyLock;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month(s: &str) -> Option<u32> {
    let l = s.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| l.starts_with(m))
        .map(|i| i as u32 + 1)
}

fn valid(y: i32, m: u32, d: u32) -> Option<String> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] || !(1900..=2100).contains(&y) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:([A-Z][a-z]{2,8})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})|(\d{1,2})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?([A-Z][a-z]{2,8}),?\s+(\d{4})|(\d{1,2})/(\d{1,2})/(\d{2,4})|(\d{4})-(\d{2})-(\d{2}))\b").expect("date pattern")
});

/// The first date written in `s`, as YYYY-MM-DD.
pub fn date(s: &str) -> Option<String> {
    for c in DATE.captures_iter(s) {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let found = if let (Some(m), Some(d), Some(y)) = (c.get(1), num(2), num(3)) {
            month(m.as_str()).and_then(|m| valid(y as i32, m, d))
        } else if let (Some(d), Some(m), Some(y)) = (num(4), c.get(5), num(6)) {
            month(m.as_str()).and_then(|m| valid(y as i32, m, d))
        } else if let (Some(m), Some(d), Some(y)) = (num(7), num(8), num(9)) {
            let y = if y < 100 {
                if y < 50 { 2000 + y } else { 1900 + y }
            } else {
                y
            };
            valid(y as i32, m, d)
        } else if let (Some(y), Some(m), Some(d)) = (num(10), num(11), num(12)) {
            valid(y as i32, m, d)
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A number written in words or digits ("thirty", "twenty-four", "60").
pub fn number(w: &str) -> Option<u32> {
    let w = w.trim().to_ascii_lowercase();
    if let Ok(n) = w.parse() {
        return Some(n);
    }
    let units = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    let tens = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = units.iter().position(|u| *u == w) {
        return Some(i as u32);
    }
    let (t, u) = w.split_once(['-', ' ']).unwrap_or((&w, ""));
    let t = tens.iter().position(|x| !x.is_empty() && *x == t)? as u32 * 10;
    if u.is_empty() {
        return Some(t);
    }
    Some(t + units.iter().position(|x| *x == u)? as u32)
}

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d+|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)[\s-]*(?:\(\d+\)[\s-]*)?(?:calendar\s+|business\s+|consecutive\s+)?(days?|months?|years?)\b").expect("duration pattern")
});

/// The first duration written in `s` ("90 days", "2 years").
pub fn duration(s: &str) -> Option<String> {
    for c in DURATION.captures_iter(s) {
        if let Some(n) = number(&c[1]).filter(|n| *n > 0 && *n < 10_000) {
            let unit = c[2].to_ascii_lowercase();
            let unit = unit.trim_end_matches('s');
            let plural = if n == 1 { "" } else { "s" };
            return Some(format!("{n} {unit}{plural}"));
        }
    }
    None
}

static LAW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\blaws?\s+of\s+(?:the\s+)?(?:(?:State|Commonwealth|Province|Republic|Kingdom)\s+of\s+)?([A-Z][A-Za-z.]+(?:\s+(?:and\s+)?[A-Z][A-Za-z.]+){0,3})").expect("law pattern")
});

/// The jurisdiction whose law governs, from a governing-law clause.
pub fn jurisdiction(s: &str) -> Option<String> {
    let c = LAW.captures(s)?;
    let mut j = c[1].trim().trim_end_matches('.').to_string();
    for stop in [
        " and ",
        " without",
        " excluding",
        " applicable",
        " as ",
        " including",
    ] {
        if let Some(i) = j.find(stop)
            && !(stop == " and " && j.contains("England and Wales"))
        {
            j.truncate(i);
        }
    }
    let j = j.trim().trim_end_matches(" and").to_string();
    (!j.is_empty()).then_some(j)
}

/// A duration as [`duration`] writes it ("90 days", "Successive 1 year") in days (a month is
/// 30 days, a year 365).
pub fn in_days(d: &str) -> Option<i64> {
    let (n, unit) = parts(d)?;
    match unit {
        "day" => Some(n),
        "month" => Some(n * 30),
        "year" => Some(n * 365),
        _ => None,
    }
}

/// A duration as [`duration`] writes it in whole months (None for days).
pub fn in_months(d: &str) -> Option<i64> {
    let (n, unit) = parts(d)?;
    match unit {
        "month" => Some(n),
        "year" => Some(n * 12),
        _ => None,
    }
}

fn parts(d: &str) -> Option<(i64, &str)> {
    let mut it = d.trim_start_matches("Successive ").split(' ');
    let n = it.next()?.parse().ok()?;
    Some((n, it.next()?.trim_end_matches('s')))
}

/// A notice period: the duration written closest before the word "notice" (or "prior"), else
/// the first duration.
pub fn notice(s: &str) -> Option<String> {
    let l = s.to_ascii_lowercase();
    let best = DURATION
        .captures_iter(s)
        .filter(|c| number(&c[1]).is_some_and(|n| n > 0))
        .filter_map(|c| {
            let m = c.get(0)?;
            let after = &l[m.end()..];
            let gap = ["notice", "prior"]
                .iter()
                .filter_map(|w| after.find(w))
                .min()?;
            Some((gap, m.start()))
        })
        .min();
    match best {
        Some((gap, start)) if gap < 40 => duration(&s[start..]),
        _ => duration(s),
    }
}

/// The renewal period: the first duration after the words that speak of renewal ("successive",
/// "renew", "additional", "extend"), as CUAD writes it ("Successive 1 year").
pub fn renewal(s: &str) -> Option<String> {
    let l = s.to_ascii_lowercase();
    let from = ["successive", "renew", "additional", "extend"]
        .iter()
        .filter_map(|a| l.find(a))
        .min()?;
    // The period is written right after those words ("successive one-year terms", "renew for an
    // additional two years"); a duration further on is something else (a notice period).
    let mut to = (from + 70).min(s.len());
    while !s.is_char_boundary(to) {
        to -= 1;
    }
    let d = duration(&s[from..to])?;
    Some(if l.contains("successive") {
        format!("Successive {d}")
    } else {
        d
    })
}

/// The normalised answer for a category, where CUAD has one and the span holds it.
pub fn answer(category: usize, span: &str) -> Option<String> {
    match crate::CATEGORIES[category] {
        "Agreement Date" | "Effective Date" => date(span),
        "Expiration Date" => {
            if span.to_ascii_lowercase().contains("perpetu") {
                Some("Perpetual".into())
            } else {
                date(span)
            }
        }
        "Renewal Term" => renewal(span),
        "Notice Period to Terminate Renewal" => notice(span),
        "Warranty Duration" => duration(span),
        "Governing Law" => jurisdiction(span),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(
            date("made as of June 21, 1999 (the"),
            Some("1999-06-21".into())
        );
        assert_eq!(
            date("this 5th day of January, 2015"),
            Some("2015-01-05".into())
        );
        assert_eq!(date("13/07/05"), None);
        assert_eq!(date("7/13/05"), Some("2005-07-13".into()));
        assert_eq!(date("February 30, 2020"), None);
        assert_eq!(
            duration("no less than thirty (30) days before"),
            Some("30 days".into())
        );
        assert_eq!(
            renewal("renewed for successive one (1) year periods"),
            Some("Successive 1 year".into())
        );
        assert_eq!(
            renewal(
                "The initial term is three (3) years. Thereafter it renews automatically for successive one-year periods"
            ),
            Some("Successive 1 year".into())
        );
        assert_eq!(
            duration("at least sixty (60) days' prior notice"),
            Some("60 days".into())
        );
        assert_eq!(
            renewal(
                "After the Initial Term this Agreement renews automatically for successive periods equal to the Initial Term. Either party may give notice of non-renewal at least 90 days before the end of the then-current term."
            ),
            None,
            "the notice period is not the renewal term"
        );
        assert_eq!(
            notice(
                "renews for successive one-year periods unless either party gives at least sixty (60) days' prior written notice"
            ),
            Some("60 days".into())
        );
        assert_eq!(
            jurisdiction("governed by the laws of the State of California without giving effect"),
            Some("California".into())
        );
        assert_eq!(
            jurisdiction("construed under the laws of England and Wales."),
            Some("England and Wales".into())
        );
        assert_eq!(number("twenty-four"), Some(24));
        assert_eq!(in_days("60 days"), Some(60));
        assert_eq!(in_days("3 months"), Some(90));
        assert_eq!(in_months("Successive 1 year"), Some(12));
        assert_eq!(in_months("90 days"), None);
        assert_eq!(in_days("Perpetual"), None);
    }
}
