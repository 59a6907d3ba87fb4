//! The retry schedule of a delivery: exponential backoff with jitter, for a bounded time. The
//! schedule is the var `WEBHOOK_RETRY_SCHEDULE` (tests shorten it): `"<first> <longest>
//! <give up after> <lease>"`, durations as `<n>ms`, `<n>s`, `<n>m` or `<n>h`; by default
//! `"5s 1h 24h 60s"`. After the n-th failed attempt the next waits `first * 2^(n-1)`, at most
//! `longest`, of which the second half is random ("equal jitter": retries of many deliveries
//! that failed together spread out, yet none comes sooner than half its delay). Once the first
//! attempt is `give up after` old, the endpoint is marked failing. `lease`: how long a delivery
//! handed to the queue waits for its consumer before a sweep hands it out again.

/// The var that sets the schedule.
pub const SCHEDULE_VAR: &str = "WEBHOOK_RETRY_SCHEDULE";

/// A retry schedule, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub first: i64,
    pub longest: i64,
    pub give_up_after: i64,
    pub lease: i64,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            first: 5_000,
            longest: 3_600_000,
            give_up_after: 86_400_000,
            lease: 60_000,
        }
    }
}

/// A duration such as `500ms`, `5s`, `30m`, `24h`, in milliseconds.
fn duration(text: &str) -> Option<i64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(unit)
        .filter(|&ms| ms > 0 && ms <= 7 * 86_400_000)
}

impl Schedule {
    /// The schedule of the var's text (`None`: the default).
    pub fn parse(text: Option<&str>) -> Result<Schedule, String> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Schedule::default());
        };
        let parts: Vec<Option<i64>> = text.split_whitespace().map(duration).collect();
        match parts.as_slice() {
            [Some(first), Some(longest), Some(give_up_after), Some(lease)]
                if first <= longest && longest <= give_up_after =>
            {
                Ok(Schedule {
                    first: *first,
                    longest: *longest,
                    give_up_after: *give_up_after,
                    lease: *lease,
                })
            }
            _ => Err(format!(
                "{SCHEDULE_VAR} must be \"<first> <longest> <give up after> <lease>\" (durations such \
                 as 5s, 1h; first ≤ longest ≤ give up after), not {text:?}"
            )),
        }
    }

    /// The delay before the next attempt after `failed` failed attempts (1 or more), with
    /// `jitter` (any u32) drawing the random half.
    pub fn delay(&self, failed: i64, jitter: u32) -> i64 {
        let exponent = (failed.max(1) - 1).min(40) as u32;
        let full = self
            .first
            .saturating_mul(1i64 << exponent)
            .min(self.longest);
        let half = full / 2;
        full - half + (half as i128 * jitter as i128 / (u32::MAX as i128 + 1)) as i64
    }

    /// Whether a delivery first attempted at `first_attempt` ms is given up at `now` ms.
    pub fn gives_up(&self, first_attempt: i64, now: i64) -> bool {
        now - first_attempt >= self.give_up_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_doubles_from_5_s_to_an_hour_with_the_second_half_random() {
        let s = Schedule::default();
        // No jitter: the fixed half; all jitter: just under the full delay.
        let table = [
            (1, 2_500, 5_000),
            (2, 5_000, 10_000),
            (3, 10_000, 20_000),
            (10, 1_280_000, 2_560_000),
            (11, 1_800_000, 3_600_000),
            (12, 1_800_000, 3_600_000),
            (1_000, 1_800_000, 3_600_000),
        ];
        for (failed, low, high) in table {
            assert_eq!(s.delay(failed, 0), low, "after {failed}");
            let top = s.delay(failed, u32::MAX);
            assert!(top < high && top > high - 2, "after {failed}: {top}");
            assert_eq!(
                s.delay(failed, 1 << 31),
                low + (high - low) / 2,
                "after {failed}"
            );
        }
    }

    #[test]
    fn the_default_gives_up_after_24_hours_of_retries() {
        let s = Schedule::default();
        let day = 86_400_000;
        assert!(!s.gives_up(1_000, 1_000 + day - 1));
        assert!(s.gives_up(1_000, 1_000 + day));
        // Retries at the shortest delays (the fixed halves): 2.5 s doubling for 10 retries
        // (2,557.5 s in all), then every 30 min: 47 more reach the day (2,557.5 + 47 × 1,800 =
        // 87,157.5 s ≥ 86,400 s > 2,557.5 + 46 × 1,800).
        let (mut at, mut n) = (0i64, 0);
        while !s.gives_up(0, at) {
            n += 1;
            at += s.delay(n, 0);
        }
        assert_eq!(n, 57, "retries within 24 h at the shortest delays");
    }

    #[test]
    fn the_var_sets_the_schedule_and_refuses_nonsense() {
        assert_eq!(Schedule::parse(None), Ok(Schedule::default()));
        assert_eq!(Schedule::parse(Some(" ")), Ok(Schedule::default()));
        assert_eq!(
            Schedule::parse(Some("200ms 1s 20s 3s")),
            Ok(Schedule {
                first: 200,
                longest: 1_000,
                give_up_after: 20_000,
                lease: 3_000
            })
        );
        for bad in [
            "5s",
            "5s 1h 24h",
            "1h 5s 24h 60s",
            "5x 1h 24h 60s",
            "0s 1h 24h 1s",
            "5s 1h 8d 1s",
        ] {
            assert!(Schedule::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
