//! The clock. All instants are UTC; they are stored as fixed-width RFC 3339 text with
//! microseconds (`2026-11-26T23:07:08.123456Z`), which sorts correctly as text on both backends.
//! Tests move the clock forward with [`Clock::advance`] to exercise schedules.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// A clock that reads the system time plus an adjustable offset (zero in production).
#[derive(Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> Timestamp {
        let off = self.offset_micros.load(Ordering::Relaxed);
        Timestamp::now() + SignedDuration::from_micros(off)
    }

    /// The current instant as stored text.
    pub fn now_text(&self) -> String {
        fmt_ts(self.now())
    }

    /// Today's date in UTC, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        self.now()
            .to_zoned_datetime(TimeZone::UTC)
            .date()
            .to_string()
    }

    /// Sets this clock to read `at` now (the demo back-dates its history with it), or back to
    /// the system time with `None`.
    pub fn set_to(&self, at: Option<Timestamp>) {
        let off = at
            .map(|t| (t - Timestamp::now()).as_micros() as i64)
            .unwrap_or(0);
        self.offset_micros.store(off, Ordering::Relaxed);
    }

    /// Moves this clock forward (tests only use this; production never does).
    pub fn advance(&self, by: SignedDuration) {
        let micros = by.as_micros() as i64;
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Formats an instant as fixed-width UTC text with microseconds.
pub fn fmt_ts(ts: Timestamp) -> String {
    let z = ts.to_zoned_datetime(TimeZone::UTC);
    let micros = z.subsec_nanosecond() / 1000;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        micros
    )
}

/// Parses stored text back into an instant.
pub fn parse_ts(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok()
}

/// A short human form for pages: `2026-11-26 23:07 UTC`.
pub fn human(s: &str) -> String {
    match parse_ts(s) {
        Some(ts) => {
            let z = ts.to_zoned_datetime(TimeZone::UTC);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                z.year(),
                z.month(),
                z.day(),
                z.hour(),
                z.minute()
            )
        }
        None => s.to_string(),
    }
}

/// [`human`] of an optional instant; empty when there is none.
pub fn human_opt(s: Option<&str>) -> String {
    s.map(human).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_fixed_width_and_round_trips() {
        let ts: Timestamp = "2026-03-01T05:06:07.5Z".parse().unwrap();
        let s = fmt_ts(ts);
        assert_eq!(s, "2026-03-01T05:06:07.500000Z");
        assert_eq!(parse_ts(&s), Some(ts));
        assert_eq!(human(&s), "2026-03-01 05:06 UTC");
    }

    #[test]
    fn advancing_moves_now() {
        let c = Clock::default();
        let a = c.now();
        c.advance(SignedDuration::from_hours(48));
        assert!(c.now() - SignedDuration::from_hours(47) > a);
    }
}
