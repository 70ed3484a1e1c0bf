//! Schedules for cron jobs: 5-field cron expressions in local time (lists, ranges, steps,
//! month and weekday names; vixie-cron's day rule), the `@hourly`-style shortcuts, and
//! `@every <n>m|h|d`.

use chrono::{DateTime, Datelike, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Timelike};

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    Cron(Box<CronExpr>),
    Every(Duration),
}

/// The five fields as sets of allowed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronExpr {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    days_any: bool,
    weekdays_any: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(s: &str, names: &[&str], first: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| s.eq_ignore_ascii_case(n)) {
        return Ok(i as u32 + first);
    }
    s.parse().map_err(|_| format!("'{s}' is not a number"))
}

/// One field into a set over `lo..=hi` (`hi_alias` is folded onto `lo`: Sunday as 7).
fn field(
    s: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    fold7: bool,
) -> Result<(Vec<bool>, bool), String> {
    let mut set = vec![false; (hi + 1) as usize];
    let any = s == "*";
    for item in s.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st.parse().map_err(|_| format!("bad step in '{item}'"))?;
                if st == 0 {
                    return Err(format!("step 0 in '{item}'"));
                }
                (r, st)
            }
            None => (item, 1),
        };
        let max = if fold7 { 7 } else { hi };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((x, y)) = range.split_once('-') {
            (value(x, names, lo)?, value(y, names, lo)?)
        } else {
            let v = value(range, names, lo)?;
            (v, if item.contains('/') { hi } else { v })
        };
        if a < lo || b > max || a > b {
            return Err(format!("'{item}' is outside {lo}-{max}"));
        }
        let mut v = a;
        while v <= b {
            set[if fold7 && v == 7 { 0 } else { v } as usize] = true;
            v += step;
        }
    }
    Ok((set, any))
}

impl Schedule {
    /// Parse a schedule string.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        let expr = match s.to_ascii_lowercase().as_str() {
            "@hourly" => "0 * * * *".to_owned(),
            "@daily" | "@midnight" => "0 0 * * *".to_owned(),
            "@weekly" => "0 0 * * 0".to_owned(),
            "@monthly" => "0 0 1 * *".to_owned(),
            "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
            l if l.starts_with("@every") => return every(l.trim_start_matches("@every").trim()),
            _ => s.to_owned(),
        };
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!(
                "'{s}' is not a schedule: use 5 cron fields (minute hour day month weekday), e.g. '0 9 * * *', or @hourly, @daily, @weekly, @every 30m"
            ));
        }
        let (minutes, _) = field(f[0], 0, 59, &[], false)?;
        let (hours, _) = field(f[1], 0, 23, &[], false)?;
        let (days, days_any) = field(f[2], 1, 31, &[], false)?;
        let (months, _) = field(f[3], 1, 12, &MONTHS, false)?;
        let (weekdays, weekdays_any) = field(f[4], 0, 6, &WEEKDAYS, true)?;
        Ok(Schedule::Cron(Box::new(CronExpr {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_any,
            weekdays_any,
        })))
    }

    /// The first run strictly after `t`.
    pub fn next_after(&self, t: DateTime<Local>) -> Option<DateTime<Local>> {
        match self {
            Schedule::Every(d) => Some(t + *d),
            Schedule::Cron(c) => c
                .next_after(t.naive_local())
                .and_then(|n| Local.from_local_datetime(&n).earliest()),
        }
    }
}

fn every(s: &str) -> Result<Schedule, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("'@every {s}' needs a number and a unit, e.g. @every 30m"))?;
    let d = match unit.trim() {
        "m" | "min" | "mins" | "minutes" => Duration::minutes(n),
        "h" | "hour" | "hours" => Duration::hours(n),
        "d" | "day" | "days" => Duration::days(n),
        other => return Err(format!("unknown unit '{other}' (use m, h or d)")),
    };
    if d < Duration::minutes(1) {
        return Err("the shortest interval is 1 minute".into());
    }
    Ok(Schedule::Every(d))
}

impl CronExpr {
    fn day_matches(&self, d: NaiveDate) -> bool {
        let dom = self.days[d.day() as usize];
        let dow = self.weekdays[d.weekday().num_days_from_sunday() as usize];
        match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (false, true) => dom,
            (true, false) => dow,
            (false, false) => dom || dow,
        }
    }

    fn next_after(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut c = t.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let limit = t + Duration::days(366 * 5);
        while c <= limit {
            if !self.months[c.month() as usize] {
                let (y, m) = if c.month() == 12 {
                    (c.year() + 1, 1)
                } else {
                    (c.year(), c.month() + 1)
                };
                c = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.day_matches(c.date()) {
                c = c.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.hours[c.hour() as usize] {
                c = c.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if !self.minutes[c.minute() as usize] {
                c += Duration::minutes(1);
                continue;
            }
            return Some(c);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn next(expr: &str, from: &str) -> String {
        let Schedule::Cron(c) = Schedule::parse(expr).unwrap() else {
            panic!()
        };
        c.next_after(at(from))
            .unwrap()
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn next_runs() {
        assert_eq!(next("0 9 * * *", "2026-03-01 08:59"), "2026-03-01 09:00");
        assert_eq!(next("0 9 * * *", "2026-03-01 09:00"), "2026-03-02 09:00");
        assert_eq!(next("*/15 * * * *", "2026-03-01 10:07"), "2026-03-01 10:15");
        assert_eq!(
            next("30 8 * * mon-fri", "2026-03-06 09:00"),
            "2026-03-09 08:30"
        ); // Fri → Mon
        assert_eq!(next("0 0 1 jan *", "2026-03-01 00:00"), "2027-01-01 00:00");
        assert_eq!(next("@hourly", "2026-03-01 10:30"), "2026-03-01 11:00");
        assert_eq!(next("0 12 * * 7", "2026-03-01 13:00"), "2026-03-08 12:00"); // 7 = Sunday
        // Both day fields restricted: either matches (the 13th, or a Friday).
        assert_eq!(next("0 0 13 * 5", "2026-03-01 00:00"), "2026-03-06 00:00");
        assert_eq!(next("0 0 29 2 *", "2026-03-01 00:00"), "2028-02-29 00:00");
    }

    #[test]
    fn bad_schedules_say_why() {
        for bad in [
            "* * *",
            "61 * * * *",
            "*/0 * * * *",
            "0 9 * * funday",
            "@every 0m",
            "@every 5x",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Schedule::parse("@every 30m").unwrap(),
            Schedule::Every(Duration::minutes(30))
        );
    }
}
