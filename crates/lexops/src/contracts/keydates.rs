//! Key dates computed from a contract's terms, never typed in: the effective date, the end of
//! the current term (rolled forward over every automatic renewal up to today), the last day to
//! give notice of non-renewal, the day to send that notice allowing for delivery in business
//! days, and the renewal date. Each date says how it was computed. No database here.

use jiff::civil::{Date, Weekday};
use jiff::{Span, ToSpan};
use serde::Serialize;

/// The terms the dates come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    pub effective_on: Option<Date>,
    pub term_months: Option<i64>,
    /// An explicit expiry (used as the initial term's end when given).
    pub expires_on: Option<Date>,
    pub auto_renew: bool,
    pub renewal_months: Option<i64>,
    pub notice_days: Option<i64>,
    /// Termination for convenience on this many days' notice…
    pub termination_notice_days: Option<i64>,
    /// …once this many months have passed since the effective date.
    pub termination_after_months: Option<i64>,
    /// An option window: opens this many days before the current term ends…
    pub option_from_days: Option<i64>,
    /// …and closes this many days before it ends.
    pub option_to_days: Option<i64>,
}

/// What a key date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Effective,
    Expiry,
    NoticeDeadline,
    SendNoticeBy,
    Renewal,
    TerminationFrom,
    TerminationIfNoticeToday,
    OptionOpens,
    OptionCloses,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Effective => "Effective",
            Kind::Expiry => "Term ends",
            Kind::NoticeDeadline => "Last day for notice of non-renewal",
            Kind::SendNoticeBy => "Send the non-renewal notice by",
            Kind::Renewal => "Renews",
            Kind::TerminationFrom => "Termination for convenience possible from",
            Kind::TerminationIfNoticeToday => "Earliest end by termination for convenience",
            Kind::OptionOpens => "Option window opens",
            Kind::OptionCloses => "Option window closes",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Effective => "effective",
            Kind::Expiry => "expiry",
            Kind::NoticeDeadline => "notice_deadline",
            Kind::SendNoticeBy => "send_notice_by",
            Kind::Renewal => "renewal",
            Kind::TerminationFrom => "termination_from",
            Kind::TerminationIfNoticeToday => "termination_if_notice_today",
            Kind::OptionOpens => "option_opens",
            Kind::OptionCloses => "option_closes",
        }
    }
    /// The kind named by [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Effective,
            Kind::Expiry,
            Kind::NoticeDeadline,
            Kind::SendNoticeBy,
            Kind::Renewal,
            Kind::TerminationFrom,
            Kind::TerminationIfNoticeToday,
            Kind::OptionOpens,
            Kind::OptionCloses,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// A date that moves with today (what notice sent today would do) or that only records the
    /// start: shown on the contract, never a deadline on the dashboard or in alerts.
    pub fn is_informational(self) -> bool {
        matches!(self, Kind::Effective | Kind::TerminationIfNoticeToday)
    }
}

/// A computed date and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeyDate {
    pub kind: Kind,
    #[schema(value_type = String)]
    pub date: Date,
    pub label: &'static str,
    /// How it was computed, in words.
    pub how: String,
}

/// The last day of a term of `months` starting on `start`.
pub fn term_end(start: Date, months: i64) -> Option<Date> {
    start
        .checked_add(months.months())
        .ok()?
        .checked_sub(1.day())
        .ok()
}

/// The department's holidays: days that are not business days besides Saturdays and Sundays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holidays(pub std::collections::BTreeMap<Date, String>);

impl Holidays {
    /// Monday to Friday and not a holiday.
    pub fn is_business_day(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.0.contains_key(&d)
    }

    /// Why `d` is not a business day: the holiday's name, or "a Saturday"/"a Sunday".
    fn why_not(&self, d: Date) -> String {
        match self.0.get(&d) {
            Some(name) => name.clone(),
            None => format!("a {}", weekday(d)),
        }
    }

    /// The holidays on weekdays strictly between `from` and `to`, as "Name (date)".
    fn skipped(&self, from: Date, to: Date) -> Vec<String> {
        self.0
            .range(from..to)
            .filter(|(d, _)| {
                **d > from && !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            })
            .map(|(d, n)| format!("{n} on {}", fmt(*d)))
            .collect()
    }

    /// `n` business days before `d`.
    pub fn business_days_before(&self, d: Date, n: i64) -> Date {
        let mut x = d;
        let mut left = n;
        while left > 0 {
            x = x.checked_sub(1.day()).unwrap_or(x);
            if self.is_business_day(x) {
                left -= 1;
            }
        }
        x
    }

    /// The latest business day on or before `d`.
    fn business_day_on_or_before(&self, d: Date) -> Date {
        let mut x = d;
        while !self.is_business_day(x) {
            x = x.checked_sub(1.day()).unwrap_or(x);
        }
        x
    }
}

/// The United States federal holidays observed in `year` (5 U.S.C. 6103: one on a Saturday
/// is observed the Friday before, one on a Sunday the Monday after, marked "(observed)"), as
/// the law stood that year: Monday holidays since 1971, Veterans Day on the fourth Monday of
/// October from 1971 to 1977, Martin Luther King Jr.'s birthday since 1986, Juneteenth since
/// 2021. New Year's Day on a Saturday is observed on 31 December of the year before, so it
/// belongs to that year's list.
pub fn us_federal(year: i16) -> Vec<(Date, String)> {
    let observed = |y: i16, m: i8, d: i8, name: &str| {
        let x = Date::new(y, m, d).expect("a valid fixed date");
        match x.weekday() {
            Weekday::Saturday => (
                x.checked_sub(1.day()).unwrap_or(x),
                format!("{name} (observed)"),
            ),
            Weekday::Sunday => (
                x.checked_add(1.day()).unwrap_or(x),
                format!("{name} (observed)"),
            ),
            _ => (x, name.to_string()),
        }
    };
    let nth = |m: i8, n: i8, w: Weekday, name: &str| {
        let first = Date::new(year, m, 1).expect("a valid month");
        (
            first
                .nth_weekday_of_month(n, w)
                .expect("that weekday exists"),
            name.to_string(),
        )
    };
    let mut out = vec![];
    for (y, m, d, name) in [
        (year, 1, 1, "New Year's Day"),
        (year + 1, 1, 1, "New Year's Day"),
    ] {
        let (day, name) = observed(y, m, d, name);
        if day.year() == year {
            out.push((day, name));
        }
    }
    if year >= 1986 {
        out.push(nth(
            1,
            3,
            Weekday::Monday,
            "Birthday of Martin Luther King, Jr.",
        ));
    }
    out.push(nth(2, 3, Weekday::Monday, "Washington's Birthday"));
    out.push(nth(5, -1, Weekday::Monday, "Memorial Day"));
    if year >= 2021 {
        out.push(observed(
            year,
            6,
            19,
            "Juneteenth National Independence Day",
        ));
    }
    out.push(observed(year, 7, 4, "Independence Day"));
    out.push(nth(9, 1, Weekday::Monday, "Labor Day"));
    out.push(nth(10, 2, Weekday::Monday, "Columbus Day"));
    if (1971..=1977).contains(&year) {
        out.push(nth(10, 4, Weekday::Monday, "Veterans Day"));
    } else {
        out.push(observed(year, 11, 11, "Veterans Day"));
    }
    out.push(nth(11, 4, Weekday::Thursday, "Thanksgiving Day"));
    out.push(observed(year, 12, 25, "Christmas Day"));
    out.sort_by_key(|(d, _)| *d);
    out
}

fn fmt(d: Date) -> String {
    format!("{} ({})", d, weekday(d))
}

fn weekday(d: Date) -> &'static str {
    match d.weekday() {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// Termination for convenience: from when it may be used, and when the contract would end if
/// notice were sent today.
fn termination(t: &Terms, today: Date, out: &mut Vec<KeyDate>) {
    let Some(n) = t.termination_notice_days.filter(|n| *n > 0) else {
        return;
    };
    let mut from = today;
    let mut how_from = String::from("notice sent today");
    if let (Some(m), Some(e)) = (
        t.termination_after_months.filter(|m| *m > 0),
        t.effective_on,
    ) && let Ok(available) = e.checked_add(m.months())
    {
        out.push(KeyDate {
            kind: Kind::TerminationFrom,
            date: available,
            label: Kind::TerminationFrom.label(),
            how: format!(
                "termination for convenience may be used {m} months after the effective date {e}: from {}",
                fmt(available)
            ),
        });
        if available > today {
            from = available;
            how_from = format!(
                "notice sent on the first day it is allowed, {}",
                fmt(available)
            );
        }
    }
    if let Ok(end) = from.checked_add(Span::new().days(n)) {
        out.push(KeyDate {
            kind: Kind::TerminationIfNoticeToday,
            date: end,
            label: Kind::TerminationIfNoticeToday.label(),
            how: format!(
                "{how_from} with {n} days' notice ends the contract on {}",
                fmt(end)
            ),
        });
    }
}

/// An option window in the current term: it opens and closes so many days before the term ends,
/// and moves with the term when it renews.
fn option_window(t: &Terms, end: Date, out: &mut Vec<KeyDate>) {
    let (Some(f), Some(c)) = (t.option_from_days, t.option_to_days) else {
        return;
    };
    let opens = end.checked_sub(Span::new().days(f)).unwrap_or(end);
    let closes = end.checked_sub(Span::new().days(c)).unwrap_or(end);
    out.push(KeyDate {
        kind: Kind::OptionOpens,
        date: opens,
        label: Kind::OptionOpens.label(),
        how: format!("{f} days before the current term ends on {}", fmt(end)),
    });
    out.push(KeyDate {
        kind: Kind::OptionCloses,
        date: closes,
        label: Kind::OptionCloses.label(),
        how: if c == 0 {
            format!("the last day of the current term, {}", fmt(end))
        } else {
            format!(
                "{c} days before the current term ends on {}: notice of exercise must arrive by {}",
                fmt(end),
                fmt(closes)
            )
        },
    });
}

/// The key dates of a contract as of `today`; `delivery_days` business days (weekdays that are
/// not one of `holidays`) are allowed for a notice to arrive.
pub fn compute(t: &Terms, today: Date, delivery_days: i64, holidays: &Holidays) -> Vec<KeyDate> {
    let mut out = collect(t, today, delivery_days, holidays);
    out.sort_by_key(|k| k.date);
    out
}

fn collect(t: &Terms, today: Date, delivery_days: i64, holidays: &Holidays) -> Vec<KeyDate> {
    let mut out = vec![];
    if let Some(e) = t.effective_on {
        out.push(KeyDate {
            kind: Kind::Effective,
            date: e,
            label: Kind::Effective.label(),
            how: "the contract's effective date".into(),
        });
    }
    termination(t, today, &mut out);
    let (initial_end, how_end) = match (t.expires_on, t.effective_on, t.term_months) {
        (Some(x), _, _) => (x, format!("the initial term ends on {}", fmt(x))),
        (None, Some(e), Some(m)) => match term_end(e, m) {
            Some(x) => (
                x,
                format!("a {m}-month initial term from {e} ends on {}", fmt(x)),
            ),
            None => return out,
        },
        _ => return out,
    };
    // Roll the term forward over the renewals that have already happened.
    let mut end = initial_end;
    let mut renewals = 0;
    let period = t.renewal_months.filter(|m| *m > 0);
    if t.auto_renew
        && let Some(p) = period
    {
        while end < today && renewals < 1200 {
            let start = end.checked_add(1.day()).unwrap_or(end);
            match term_end(start, p) {
                Some(x) => end = x,
                None => break,
            }
            renewals += 1;
        }
    }
    let how = if renewals == 0 {
        how_end.clone()
    } else {
        format!(
            "{how_end}; it renewed automatically {renewals} time{} for {} months, so the current term ends on {}",
            if renewals == 1 { "" } else { "s" },
            period.unwrap_or(0),
            fmt(end)
        )
    };
    out.push(KeyDate {
        kind: Kind::Expiry,
        date: end,
        label: Kind::Expiry.label(),
        how,
    });
    option_window(t, end, &mut out);
    if !t.auto_renew {
        return out;
    }
    let Some(p) = period else {
        return out;
    };
    let renews = end.checked_add(1.day()).unwrap_or(end);
    out.push(KeyDate {
        kind: Kind::Renewal,
        date: renews,
        label: Kind::Renewal.label(),
        how: format!(
            "unless notice is given, a new {p}-month term starts the day after the term ends"
        ),
    });
    if let Some(n) = t.notice_days.filter(|n| *n > 0) {
        let deadline = end.checked_sub(Span::new().days(n)).unwrap_or(end);
        out.push(KeyDate {
            kind: Kind::NoticeDeadline,
            date: deadline,
            label: Kind::NoticeDeadline.label(),
            how: format!(
                "{n} days' notice before the term ends on {}: it must arrive by {}",
                fmt(end),
                fmt(deadline)
            ),
        });
        let last_business = holidays.business_day_on_or_before(deadline);
        let send = holidays.business_days_before(last_business, delivery_days);
        let mut how = String::new();
        if last_business != deadline {
            how.push_str(&format!(
                "{} is not a business day ({}), so it must arrive by {}; ",
                fmt(deadline),
                holidays.why_not(deadline),
                fmt(last_business)
            ));
        }
        how.push_str(&format!(
            "allowing {delivery_days} business days for delivery, send it by {}",
            fmt(send)
        ));
        let skipped = holidays.skipped(send, deadline);
        if !skipped.is_empty() {
            how.push_str(&format!(" (holidays skipped: {})", skipped.join(", ")));
        }
        out.push(KeyDate {
            kind: Kind::SendNoticeBy,
            date: send,
            label: Kind::SendNoticeBy.label(),
            how,
        });
    }
    out.sort_by_key(|k| k.date);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn terms() -> Terms {
        Terms {
            effective_on: Some(date(2025, 1, 1)),
            term_months: Some(12),
            expires_on: None,
            auto_renew: true,
            renewal_months: Some(12),
            notice_days: Some(90),
            ..Terms::default()
        }
    }

    #[test]
    fn termination_for_convenience_and_option_windows() {
        let t = Terms {
            termination_notice_days: Some(60),
            termination_after_months: Some(12),
            option_from_days: Some(180),
            option_to_days: Some(90),
            ..terms()
        };
        // Before the lock-in ends: the earliest end counts from the first allowed day.
        let v = compute(&t, date(2025, 6, 1), 2, &Holidays::default());
        assert_eq!(get(&v, Kind::TerminationFrom).date, date(2026, 1, 1));
        let e = get(&v, Kind::TerminationIfNoticeToday);
        assert_eq!(e.date, date(2026, 3, 2));
        assert!(e.how.contains("first day it is allowed"), "{}", e.how);
        // After it: notice sent today.
        let v = compute(&t, date(2026, 6, 1), 2, &Holidays::default());
        assert_eq!(
            get(&v, Kind::TerminationIfNoticeToday).date,
            date(2026, 7, 31)
        );
        // The option window moves with the renewed term (ends 2026-12-31).
        assert_eq!(get(&v, Kind::OptionOpens).date, date(2026, 7, 4));
        let c = get(&v, Kind::OptionCloses);
        assert_eq!(c.date, date(2026, 10, 2));
        assert!(
            c.how.contains("90 days before the current term ends"),
            "{}",
            c.how
        );
        assert!(
            v.windows(2).all(|w| w[0].date <= w[1].date),
            "sorted by date"
        );
        assert!(Kind::TerminationIfNoticeToday.is_informational());
        assert!(!Kind::OptionCloses.is_informational());
        // Without an expiry there is no option window, but termination still computes.
        let v = compute(
            &Terms {
                termination_notice_days: Some(30),
                ..Terms::default()
            },
            date(2026, 1, 1),
            2,
            &Holidays::default(),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].date, date(2026, 1, 31));
    }

    fn get(v: &[KeyDate], k: Kind) -> &KeyDate {
        v.iter().find(|d| d.kind == k).unwrap()
    }

    #[test]
    fn dates_roll_forward_after_each_renewal() {
        let before = compute(&terms(), date(2025, 6, 1), 3, &Holidays::default());
        assert_eq!(get(&before, Kind::Expiry).date, date(2025, 12, 31));
        // 2025-12-31 minus 90 days is 2025-10-02, a Thursday; three business days before is
        // Monday 2025-09-29.
        assert_eq!(get(&before, Kind::NoticeDeadline).date, date(2025, 10, 2));
        assert_eq!(get(&before, Kind::SendNoticeBy).date, date(2025, 9, 29));
        assert_eq!(get(&before, Kind::Renewal).date, date(2026, 1, 1));
        let after = compute(&terms(), date(2026, 3, 1), 3, &Holidays::default());
        let e = get(&after, Kind::Expiry);
        assert_eq!(e.date, date(2026, 12, 31));
        assert!(
            e.how.contains("renewed automatically 1 time for 12 months"),
            "{}",
            e.how
        );
        assert_eq!(get(&after, Kind::NoticeDeadline).date, date(2026, 10, 2));
    }

    #[test]
    fn a_weekend_deadline_moves_to_the_business_day_before() {
        // 2026-12-31 - 88 days = 2026-10-04, a Sunday: arrive by Friday 2 October, send by
        // Tuesday 29 September with three business days.
        let t = Terms {
            notice_days: Some(88),
            ..terms()
        };
        let d = compute(&t, date(2026, 3, 1), 3, &Holidays::default());
        assert_eq!(get(&d, Kind::NoticeDeadline).date, date(2026, 10, 4));
        let s = get(&d, Kind::SendNoticeBy);
        assert_eq!(s.date, date(2026, 9, 29));
        assert!(s.how.contains("is not a business day"), "{}", s.how);
    }

    #[test]
    fn month_ends_clamp_and_fixed_terms_just_expire() {
        let t = Terms {
            effective_on: Some(date(2024, 1, 31)),
            term_months: Some(1),
            auto_renew: false,
            ..Default::default()
        };
        let d = compute(&t, date(2024, 1, 31), 3, &Holidays::default());
        assert_eq!(get(&d, Kind::Expiry).date, date(2024, 2, 28));
        assert_eq!(d.len(), 2, "no renewal, no notice");
    }

    #[test]
    fn business_days_skip_weekends() {
        assert_eq!(
            Holidays::default().business_days_before(date(2026, 11, 30), 1),
            date(2026, 11, 27)
        );
        assert_eq!(
            Holidays::default().business_days_before(date(2026, 11, 30), 0),
            date(2026, 11, 30)
        );
    }

    #[test]
    fn holidays_are_not_business_days_and_are_named() {
        // Notice of 35 days before 2026-12-31 falls on Thursday 26 November 2026,
        // Thanksgiving: it must arrive by Wednesday the 25th; three business days before that,
        // skipping no holiday, is Friday the 20th. With Veterans Day (Wednesday 11 November)
        // and a notice of 47 days (Saturday 14 November → Friday 13th), three business days
        // back skip the 11th: Monday 9 November.
        let mut h = Holidays::default();
        for (d, name) in us_federal(2026) {
            h.0.insert(d, name.to_string());
        }
        let t = Terms {
            notice_days: Some(35),
            ..terms()
        };
        let d = compute(&t, date(2026, 3, 1), 3, &h);
        assert_eq!(get(&d, Kind::NoticeDeadline).date, date(2026, 11, 26));
        let s = get(&d, Kind::SendNoticeBy);
        assert_eq!(s.date, date(2026, 11, 20));
        assert!(s.how.contains("(Thanksgiving Day)"), "{}", s.how);
        let t = Terms {
            notice_days: Some(47),
            ..terms()
        };
        let d = compute(&t, date(2026, 3, 1), 3, &h);
        let s = get(&d, Kind::SendNoticeBy);
        assert_eq!(s.date, date(2026, 11, 9));
        assert!(
            s.how
                .contains("(holidays skipped: Veterans Day on 2026-11-11 (Wednesday))"),
            "{}",
            s.how
        );
        // Without the calendar the same notice goes on Tuesday 10 November.
        let plain = compute(&t, date(2026, 3, 1), 3, &Holidays::default());
        assert_eq!(get(&plain, Kind::SendNoticeBy).date, date(2026, 11, 10));
    }

    #[test]
    fn us_federal_holidays_are_observed_on_weekdays() {
        let days =
            |y| -> Vec<String> { us_federal(y).iter().map(|(d, _)| d.to_string()).collect() };
        // OPM's published dates for 2026 (Independence Day on a Saturday: Friday 3 July).
        assert_eq!(
            days(2026),
            [
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-06-19",
                "2026-07-03",
                "2026-09-07",
                "2026-10-12",
                "2026-11-11",
                "2026-11-26",
                "2026-12-25"
            ]
        );
        let names: Vec<String> = us_federal(2026).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names[5], "Independence Day (observed)");
        // 2027: Juneteenth on a Saturday (Friday 18 June), Christmas on a Saturday (Friday 24
        // December), and New Year's Day 2028 on a Saturday is observed on Friday 31 December
        // 2027 — in 2027's list, not 2028's.
        let y27 = days(2027);
        assert!(y27.contains(&"2027-06-18".to_string()), "{y27:?}");
        assert!(y27.contains(&"2027-12-24".to_string()), "{y27:?}");
        assert_eq!(y27.last().unwrap(), "2027-12-31", "{y27:?}");
        assert_eq!(y27.len(), 12);
        assert_eq!(
            days(2028)[0],
            "2028-01-17",
            "no New Year's Day observed in 2028"
        );
        // As the law stood: no Juneteenth before 2021, no King holiday before 1986, Veterans
        // Day on the fourth Monday of October in 1975.
        assert_eq!(days(2020).len(), 10);
        assert_eq!(days(1985).len(), 9);
        assert!(days(1975).contains(&"1975-10-27".to_string()));
    }
}
