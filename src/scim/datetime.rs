//! RFC 3339 instants for SCIM `dateTime` values, computed without a clock.
//!
//! Owns: the [`Timestamp`] type (UTC epoch milliseconds), parsing RFC 3339 `date-time` and
//! plain `full-date` text into it, the one canonical text form the server stores and compares
//! (`YYYY-MM-DDTHH:MM:SS.mmmZ`, fixed width so that text order is time order), and the civil
//! calendar arithmetic behind all of that (proleptic Gregorian, Howard Hinnant's algorithms).
//!
//! Leaves out, on purpose:
//! - reading the clock: the core never does; the edge passes "now" in as epoch milliseconds;
//! - time zones by name and local time without an offset (RFC 3339 requires the offset, and
//!   a value without one names no instant);
//! - leap seconds: `:60` is refused rather than silently moved, since nothing downstream could
//!   represent it and provisioning clients do not send it;
//! - precision finer than a millisecond: extra fraction digits are truncated, not rounded, so
//!   that a value never moves into the next second (or day);
//! - years outside 0001..=9999: RFC 3339 has four-digit years, and the fixed-width canonical
//!   form relies on it.

/// Milliseconds in one civil day (no leap seconds in this time scale).
const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since 1970-01-01T00:00:00Z (UTC). Range: years 0001..=9999.
///
/// The field is public so that stores can round-trip the raw number; a value outside
/// [`Timestamp::MIN`]..=[`Timestamp::MAX`] built by hand is clamped into that range by every
/// method that renders it, so rendering never fails and never loses its fixed width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// 0001-01-01T00:00:00.000Z, the first instant with a four-digit year.
    pub const MIN: Timestamp = Timestamp(-62_135_596_800_000);
    /// 9999-12-31T23:59:59.999Z, the last instant with a four-digit year.
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999);

    /// RFC 3339 UTC with exactly three fractional digits: "2026-11-24T20:45:04.123Z".
    /// Fixed width, so text order equals time order (stored in SQL text columns).
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d, h, mi, s, ms) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// Parse an RFC 3339 date-time (RFC 3339 §5.6 `date-time`) into the UTC instant it names.
    ///
    /// Accepted: `T` or `t` between date and time (and a single space, which RFC 3339 §5.6
    /// allows "for the sake of readability"); offset `Z`, `z` or `±hh:mm` (required, at most
    /// ±23:59; `-00:00` is taken as UTC); an optional fraction of 1 to 9 digits, truncated to
    /// the millisecond. Refused: second 60 (leap seconds, see the module doc), hour 24,
    /// impossible dates, anything around the value (no trimming: the caller decides), and
    /// instants whose UTC year falls outside 0001..=9999 even if the local one does not.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let mut cur = Cursor::new(s);
        let (year, month, day) = cur.full_date()?;
        match cur.next()? {
            b'T' | b't' | b' ' => {}
            _ => return None,
        }
        let hour = cur.digits(2)?;
        cur.eat(b':')?;
        let minute = cur.digits(2)?;
        cur.eat(b':')?;
        let second = cur.digits(2)?;
        let milli = if cur.peek() == Some(b'.') {
            cur.pos += 1;
            cur.fraction_millis()?
        } else {
            0
        };
        let offset_minutes: i64 = match cur.next()? {
            b'Z' | b'z' => 0,
            sign @ (b'+' | b'-') => {
                let oh = cur.digits(2)?;
                cur.eat(b':')?;
                let om = cur.digits(2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let magnitude = i64::from(oh * 60 + om);
                if sign == b'+' {
                    magnitude
                } else {
                    -magnitude
                }
            }
            _ => return None,
        };
        if !cur.at_end() {
            return None;
        }
        // from_civil validates every field (including second < 60) and the local year range.
        let local = Timestamp::from_civil(year, month, day, hour, minute, second, milli)?;
        // A local time is ahead of UTC by its offset, so UTC = local - offset.
        let utc = local.0 - offset_minutes * 60_000;
        in_range(utc).then_some(Timestamp(utc))
    }

    /// `YYYY-MM-DD` only (RFC 3339 `full-date`) → midnight UTC of that day.
    pub fn parse_date(s: &str) -> Option<Timestamp> {
        let mut cur = Cursor::new(s);
        let (year, month, day) = cur.full_date()?;
        if !cur.at_end() {
            return None;
        }
        Timestamp::from_civil(year, month, day, 0, 0, 0, 0)
    }

    /// The instant of a civil UTC date and time; `None` unless every field is in range
    /// (year 1..=9999, a day that exists in that month, h < 24, m < 60, s < 60, ms < 1000).
    pub fn from_civil(
        year: i32,
        month: u32,
        day: u32,
        h: u32,
        m: u32,
        s: u32,
        ms: u32,
    ) -> Option<Timestamp> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || h >= 24
            || m >= 60
            || s >= 60
            || ms >= 1000
        {
            return None;
        }
        let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
        let in_day =
            ((i64::from(h) * 60 + i64::from(m)) * 60 + i64::from(s)) * 1000 + i64::from(ms);
        Some(Timestamp(days * MS_PER_DAY + in_day))
    }

    /// The civil UTC fields of this instant: (year, month, day, hour, minute, second, milli).
    /// Out-of-range values are clamped to [`Timestamp::MIN`]..=[`Timestamp::MAX`] first.
    pub fn civil(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        let t = self.clamped().0;
        let days = t.div_euclid(MS_PER_DAY);
        let in_day = t.rem_euclid(MS_PER_DAY);
        let (y, mo, d) = civil_from_days(days);
        // After clamping every value below fits its type (year 1..=9999, the rest < 1000),
        // so the conversions cannot fail; the fallbacks only keep this free of panics.
        let year = i32::try_from(y).unwrap_or(1);
        let small = |v: i64| u32::try_from(v).unwrap_or(0);
        (
            year,
            small(mo),
            small(d),
            small(in_day / 3_600_000),
            small(in_day / 60_000 % 60),
            small(in_day / 1000 % 60),
            small(in_day % 1000),
        )
    }

    /// "2026-11-24" (UTC date of this instant).
    pub fn to_date_string(self) -> String {
        let (y, mo, d, ..) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}")
    }

    /// This instant moved by `ms` milliseconds, saturating at [`Timestamp::MIN`] and
    /// [`Timestamp::MAX`] (not at the i64 bounds: an instant past year 9999 could not be
    /// rendered in the canonical form).
    pub fn add_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms)).clamped()
    }

    fn clamped(self) -> Timestamp {
        Timestamp(self.0.clamp(Self::MIN.0, Self::MAX.0))
    }
}

/// The normalised form of a SCIM `dateTime` value, as the server stores and compares it:
/// `Some(canonical)` where canonical is `to_rfc3339()` of the parsed instant.
pub fn normalize_datetime(s: &str) -> Option<String> {
    Timestamp::parse_rfc3339(s).map(Timestamp::to_rfc3339)
}

fn in_range(ms: i64) -> bool {
    (Timestamp::MIN.0..=Timestamp::MAX.0).contains(&ms)
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant, `days_from_civil`).
/// The year is counted from March so that the leap day is the last day of the year.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0 .. February = 11
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant, `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468; // shift the epoch to 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A byte cursor. Working on bytes rather than `str` slices means multi-byte input can never
/// hit a char-boundary panic: any non-ASCII byte simply fails the digit or literal checks.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            bytes: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Exactly `n` ASCII digits (RFC 3339 fields are fixed width: "2026-1-5" is refused).
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut value: u32 = 0;
        for _ in 0..n {
            let b = self.next()?;
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        Some(value)
    }

    /// `date-fullyear "-" date-month "-" date-mday`, unvalidated (from_civil checks ranges).
    fn full_date(&mut self) -> Option<(i32, u32, u32)> {
        let year = self.digits(4)?;
        self.eat(b'-')?;
        let month = self.digits(2)?;
        self.eat(b'-')?;
        let day = self.digits(2)?;
        Some((i32::try_from(year).ok()?, month, day))
    }

    /// The digits after the `.` of `time-secfrac`: 1 to 9 of them, kept to the millisecond.
    /// Nine is the nanosecond; more than that is refused rather than silently swallowed.
    fn fraction_millis(&mut self) -> Option<u32> {
        let mut count = 0usize;
        let mut millis: u32 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            if count < 3 {
                millis = millis * 10 + u32::from(b - b'0');
            }
            count += 1;
            self.pos += 1;
        }
        if count == 0 || count > 9 {
            return None;
        }
        // Fewer than three digits: ".5" is 500 ms, not 5.
        for _ in count..3 {
            millis *= 10;
        }
        Some(millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_date_times_parse_to_the_expected_instant_and_canonical_text() {
        #[rustfmt::skip]
        let cases: &[(&str, i64, &str)] = &[
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", -1, "1969-12-31T23:59:59.999Z"),
            ("2026-11-24T20:45:04.123Z", 1_795_553_104_123, "2026-11-24T20:45:04.123Z"),
            ("2026-11-24T20:45:04.123+05:30", 1_795_533_304_123, "2026-11-24T15:15:04.123Z"),
            ("2026-11-24T12:45:04.5-08:00", 1_795_553_104_500, "2026-11-24T20:45:04.500Z"),
            ("2026-11-24t20:45:04z", 1_795_553_104_000, "2026-11-24T20:45:04.000Z"),
            ("2026-11-24 20:45:04Z", 1_795_553_104_000, "2026-11-24T20:45:04.000Z"),
            ("2026-11-24T20:45:04.1Z", 1_795_553_104_100, "2026-11-24T20:45:04.100Z"),
            ("2026-11-24T20:45:04.12Z", 1_795_553_104_120, "2026-11-24T20:45:04.120Z"),
            ("2026-11-24T20:45:04.123456Z", 1_795_553_104_123, "2026-11-24T20:45:04.123Z"),
            ("2026-11-24T20:45:04.999999999Z", 1_795_553_104_999, "2026-11-24T20:45:04.999Z"),
            ("2026-11-24T20:45:04-00:00", 1_795_553_104_000, "2026-11-24T20:45:04.000Z"),
            ("2026-11-24T20:45:04+23:59", 1_795_466_764_000, "2026-11-23T20:46:04.000Z"),
            ("2026-01-01T00:30:00+01:00", 1_767_223_800_000, "2025-12-31T23:30:00.000Z"),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            ("0001-01-01T23:59:00+23:59", -62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            ("9999-12-31T00:00:59.999-23:59", 253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            ("2000-02-29T00:00:00Z", 951_782_400_000, "2000-02-29T00:00:00.000Z"),
            ("2024-02-29T12:00:00Z", 1_709_208_000_000, "2024-02-29T12:00:00.000Z"),
            ("1600-02-29T00:00:00Z", -11_670_998_400_000, "1600-02-29T00:00:00.000Z"),
            ("1900-01-01T00:00:00Z", -2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
        ];
        for &(input, millis, canonical) in cases {
            assert_eq!(
                Timestamp::parse_rfc3339(input),
                Some(Timestamp(millis)),
                "{input}"
            );
            assert_eq!(Timestamp(millis).to_rfc3339(), canonical, "{input}");
            assert_eq!(
                normalize_datetime(input).as_deref(),
                Some(canonical),
                "{input}"
            );
        }
    }

    #[test]
    fn invalid_date_times_are_refused() {
        #[rustfmt::skip]
        let cases: &[&str] = &[
            "",
            "2100-02-29T00:00:00Z",             // 2100 is not a leap year
            "1900-02-29T00:00:00Z",             // nor is 1900
            "2026-02-29T00:00:00Z",             // nor 2026
            "2026-13-01T00:00:00Z",             // month 13
            "2026-00-10T00:00:00Z",             // month 0
            "2026-01-32T00:00:00Z",             // day 32
            "2026-04-31T00:00:00Z",             // April has 30 days
            "2026-01-00T00:00:00Z",             // day 0
            "0000-01-01T00:00:00Z",             // year 0
            "2026-01-01T24:00:00Z",             // hour 24
            "2026-01-01T23:60:00Z",             // minute 60
            "2026-12-31T23:59:60Z",             // leap second, refused on purpose
            "2026-01-01T00:00:00",              // missing offset
            "2026-01-01",                       // date only
            "2026-1-5T00:00:00Z",               // fields are fixed width
            "2026-01-01T0:00:00Z",              // hour is two digits
            "2026-01-01T00:00Z",                // seconds are required
            "2026-01-01T00:00:00Zjunk",         // trailing garbage
            "2026-01-01T00:00:00Z ",            // trailing space
            " 2026-01-01T00:00:00Z",            // leading space
            "2026-01-01TT00:00:00Z",            // doubled separator
            "2026-01-01  00:00:00Z",            // two spaces
            "2026-01-01_00:00:00Z",             // other separator
            "2026-01-01T00:00:00+24:00",        // offset hour 24
            "2026-01-01T00:00:00+23:60",        // offset minute 60
            "2026-01-01T00:00:00+05",           // offset without minutes
            "2026-01-01T00:00:00+0530",         // offset without colon
            "2026-01-01T00:00:00.Z",            // empty fraction
            "2026-01-01T00:00:00.1234567890Z",  // ten fraction digits
            "2026-01-01T00:00:00.-1Z",          // sign in fraction
            "2026-01-01T00:00:00,5Z",           // comma fraction (ISO 8601, not RFC 3339)
            "+2026-01-01T00:00:00Z",            // expanded year
            "12026-01-01T00:00:00Z",            // five-digit year
            "0001-01-01T00:00:00+00:01",        // UTC instant falls in year 0
            "9999-12-31T23:59:59-00:01",        // UTC instant falls in year 10000
            "٢٠٢٦-٠١-٠١T00:00:00Z",             // Arabic-Indic digits
            "２０２６-01-01T00:00:00Z",          // full-width digits
            "2026-01-01T00:00:00.１Z",          // full-width fraction digit
            "2026-01-01T00:00:00ẞ",             // multi-byte offset
            "2026-01-01T00:00:00+0５:00",       // multi-byte inside the offset
            "é026-01-01T00:00:00Z",             // multi-byte at the start
            "2026-01-01\u{2009}00:00:00Z",      // thin space
        ];
        for &input in cases {
            assert_eq!(Timestamp::parse_rfc3339(input), None, "{input:?}");
            assert_eq!(normalize_datetime(input), None, "{input:?}");
        }
    }

    #[test]
    fn plain_dates_parse_to_midnight_utc() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<i64>)] = &[
            ("2026-11-24", Some(1_795_478_400_000)),
            ("2000-02-29", Some(951_782_400_000)),
            ("1969-12-31", Some(-86_400_000)),
            ("0001-01-01", Some(-62_135_596_800_000)),
            ("9999-12-31", Some(253_402_214_400_000)),
            ("2026-02-29", None),
            ("2026-2-28", None),
            ("20261124", None),
            ("2026-11-24T00:00:00Z", None),
            ("2026-11-24 ", None),
            ("", None),
            ("٢٠٢٦-١١-٢٤", None),
        ];
        for &(input, millis) in cases {
            assert_eq!(
                Timestamp::parse_date(input),
                millis.map(Timestamp),
                "{input:?}"
            );
        }
    }

    #[test]
    fn instants_render_their_utc_date() {
        #[rustfmt::skip]
        let cases: &[(i64, &str)] = &[
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (1_795_553_104_123, "2026-11-24"),
            (Timestamp::MIN.0, "0001-01-01"),
            (Timestamp::MAX.0, "9999-12-31"),
        ];
        for &(millis, date) in cases {
            assert_eq!(Timestamp(millis).to_date_string(), date, "{millis}");
        }
    }

    /// (year, month, day, hour, minute, second, milli), as `from_civil` takes them.
    type Civil = (i32, u32, u32, u32, u32, u32, u32);

    #[test]
    fn civil_fields_are_validated() {
        #[rustfmt::skip]
        let cases: &[(Civil, Option<i64>)] = &[
            ((1970, 1, 1, 0, 0, 0, 0), Some(0)),
            ((1969, 12, 31, 23, 59, 59, 999), Some(-1)),
            ((1, 1, 1, 0, 0, 0, 0), Some(Timestamp::MIN.0)),
            ((9999, 12, 31, 23, 59, 59, 999), Some(Timestamp::MAX.0)),
            ((2000, 2, 29, 0, 0, 0, 0), Some(951_782_400_000)),
            ((0, 12, 31, 0, 0, 0, 0), None),
            ((10000, 1, 1, 0, 0, 0, 0), None),
            ((-1, 1, 1, 0, 0, 0, 0), None),
            ((2100, 2, 29, 0, 0, 0, 0), None),
            ((2026, 0, 1, 0, 0, 0, 0), None),
            ((2026, 13, 1, 0, 0, 0, 0), None),
            ((2026, 1, 0, 0, 0, 0, 0), None),
            ((2026, 6, 31, 0, 0, 0, 0), None),
            ((2026, 1, 1, 24, 0, 0, 0), None),
            ((2026, 1, 1, 0, 60, 0, 0), None),
            ((2026, 1, 1, 0, 0, 60, 0), None),
            ((2026, 1, 1, 0, 0, 0, 1000), None),
        ];
        for &((y, mo, d, h, mi, s, ms), millis) in cases {
            let got = Timestamp::from_civil(y, mo, d, h, mi, s, ms);
            assert_eq!(got, millis.map(Timestamp), "{y}-{mo}-{d} {h}:{mi}:{s}.{ms}");
        }
    }

    #[test]
    fn adding_milliseconds_saturates_at_the_four_digit_years() {
        #[rustfmt::skip]
        let cases: &[(i64, i64, i64)] = &[
            (0, 1, 1),
            (0, -1, -1),
            (1_000, -1_000, 0),
            (Timestamp::MAX.0, 1, Timestamp::MAX.0),
            (Timestamp::MIN.0, -1, Timestamp::MIN.0),
            (0, i64::MAX, Timestamp::MAX.0),
            (0, i64::MIN, Timestamp::MIN.0),
            (i64::MAX, 0, Timestamp::MAX.0),
            (i64::MIN, 0, Timestamp::MIN.0),
            (i64::MAX, i64::MAX, Timestamp::MAX.0),
            (Timestamp::MAX.0, -Timestamp::MAX.0, 0),
        ];
        for &(start, delta, end) in cases {
            assert_eq!(
                Timestamp(start).add_millis(delta),
                Timestamp(end),
                "{start} + {delta}"
            );
        }
    }

    #[test]
    fn out_of_range_values_render_clamped_instead_of_failing() {
        #[rustfmt::skip]
        let cases: &[(i64, &str)] = &[
            (i64::MIN, "0001-01-01T00:00:00.000Z"),
            (Timestamp::MIN.0 - 1, "0001-01-01T00:00:00.000Z"),
            (Timestamp::MAX.0 + 1, "9999-12-31T23:59:59.999Z"),
            (i64::MAX, "9999-12-31T23:59:59.999Z"),
        ];
        for &(millis, text) in cases {
            assert_eq!(Timestamp(millis).to_rfc3339(), text, "{millis}");
        }
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        (Timestamp::MIN.0..=Timestamp::MAX.0).prop_map(Timestamp)
    }

    proptest! {
        #[test]
        fn civil_fields_of_an_instant_rebuild_the_same_instant(t in any_instant()) {
            let (y, mo, d, h, mi, s, ms) = t.civil();
            prop_assert_eq!(Timestamp::from_civil(y, mo, d, h, mi, s, ms), Some(t));
        }

        #[test]
        fn an_instant_built_from_valid_civil_fields_gives_them_back(
            y in 1i32..=9999, mo in 1u32..=12, d_raw in 0u32..31,
            h in 0u32..24, mi in 0u32..60, s in 0u32..60, ms in 0u32..1000,
        ) {
            let d = 1 + d_raw % days_in_month(y, mo);
            let t = Timestamp::from_civil(y, mo, d, h, mi, s, ms);
            prop_assert_eq!(t.map(Timestamp::civil), Some((y, mo, d, h, mi, s, ms)));
        }

        #[test]
        fn canonical_text_parses_back_to_the_same_instant(t in any_instant()) {
            let text = t.to_rfc3339();
            prop_assert_eq!(text.len(), 24);
            prop_assert_eq!(Timestamp::parse_rfc3339(&text), Some(t));
            prop_assert_eq!(normalize_datetime(&text), Some(text));
        }

        #[test]
        fn canonical_text_sorts_like_the_instants(a in any_instant(), b in any_instant()) {
            prop_assert_eq!(a.to_rfc3339().cmp(&b.to_rfc3339()), a.cmp(&b));
        }

        #[test]
        fn a_local_time_with_its_offset_names_the_same_utc_instant(
            t in any_instant(), offset in -1439i64..=1439,
        ) {
            let local = t.0 + offset * 60_000;
            prop_assume!(in_range(local));
            let (y, mo, d, h, mi, s, ms) = Timestamp(local).civil();
            let sign = if offset < 0 { '-' } else { '+' };
            let (oh, om) = (offset.abs() / 60, offset.abs() % 60);
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{sign}{oh:02}:{om:02}");
            prop_assert_eq!(Timestamp::parse_rfc3339(&text), Some(t), "{}", text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in any::<String>()) {
            let _ = Timestamp::parse_rfc3339(&s);
            let _ = Timestamp::parse_date(&s);
        }

        #[test]
        fn parsing_near_miss_text_never_panics_and_normalises_idempotently(
            s in "[0-9٢é:.T Zz+-]{0,32}",
        ) {
            if let Some(canonical) = normalize_datetime(&s) {
                prop_assert_eq!(normalize_datetime(&canonical), Some(canonical.clone()));
            }
            let _ = Timestamp::parse_date(&s);
        }
    }
}
