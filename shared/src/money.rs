//! Money: integer micro-credits. 1 credit = 1,000,000 µcr = $0.01. No floats anywhere on a money path.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Micro-credits per credit.
pub const MICROS_PER_CREDIT: i64 = 1_000_000;

/// An amount of money in micro-credits (signed, so ledger deltas can be negative).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MicroCredits(pub i64);

impl MicroCredits {
    pub const ZERO: MicroCredits = MicroCredits(0);

    /// Whole credits to micro-credits.
    pub const fn credits(c: i64) -> Self {
        MicroCredits(c * MICROS_PER_CREDIT)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Cost of `units` at `price_per_million` micro-credits per million units, rounded up to the
    /// next micro-credit (we never under-charge by a fraction, and never by more than 1 µcr).
    pub fn per_million(units: u64, price_per_million: MicroCredits) -> Self {
        let num = units as i128 * price_per_million.0 as i128;
        let v = (num + 999_999) / 1_000_000;
        MicroCredits(v.min(i64::MAX as i128) as i64)
    }

    /// Cost of `units` at `price_per_thousand` per 1,000 units, rounded up to the next micro-credit.
    pub fn per_thousand(units: u64, price_per_thousand: MicroCredits) -> Self {
        let num = units as i128 * price_per_thousand.0 as i128;
        let v = (num + 999) / 1_000;
        MicroCredits(v.min(i64::MAX as i128) as i64)
    }

    pub fn min(self, other: Self) -> Self {
        MicroCredits(self.0.min(other.0))
    }

    pub fn max(self, other: Self) -> Self {
        MicroCredits(self.0.max(other.0))
    }

    /// `percent` of this amount, rounded up (BYOK fee).
    pub fn percent_ceil(self, percent: i64) -> Self {
        MicroCredits(((self.0 as i128 * percent as i128 + 99) / 100) as i64)
    }

    /// Exact decimal rendering in credits, e.g. `0.000390` (for JSON `cost` fields and the CLI).
    pub fn to_credits_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!(
            "{sign}{}.{:06}",
            a / MICROS_PER_CREDIT as u64,
            a % MICROS_PER_CREDIT as u64
        )
    }

    /// A JSON number in credits with exactly the micro-credit digits (no float rounding).
    pub fn to_credits_json(self) -> serde_json::Value {
        let s = self.to_credits_string();
        let trimmed = s.trim_end_matches('0').trim_end_matches('.');
        serde_json::from_str(trimmed).unwrap_or(serde_json::Value::Null)
    }
}

impl Add for MicroCredits {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        MicroCredits(self.0 + o.0)
    }
}

impl AddAssign for MicroCredits {
    fn add_assign(&mut self, o: Self) {
        self.0 += o.0;
    }
}

impl Sub for MicroCredits {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        MicroCredits(self.0 - o.0)
    }
}

impl fmt::Display for MicroCredits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cr", self.to_credits_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_million_rounds_up_exactly() {
        // 1,234 tokens at 390 credits / 1M = 0.48126 credits = 481,260 µcr.
        assert_eq!(
            MicroCredits::per_million(1234, MicroCredits::credits(390)).0,
            481_260
        );
        // 1 token at 3 credits / 1M = 3 µcr.
        assert_eq!(MicroCredits::per_million(1, MicroCredits::credits(3)).0, 3);
        // A fraction of a micro-credit rounds up.
        assert_eq!(MicroCredits::per_million(1, MicroCredits(1)).0, 1);
        assert_eq!(MicroCredits::per_million(0, MicroCredits::credits(3)).0, 0);
    }

    #[test]
    fn renders_credits() {
        assert_eq!(MicroCredits(481_260).to_credits_string(), "0.481260");
        assert_eq!(MicroCredits(-1_500_000).to_credits_string(), "-1.500000");
        assert_eq!(
            MicroCredits(481_260).to_credits_json().to_string(),
            "0.48126"
        );
        assert_eq!(MicroCredits::credits(2).to_credits_json().to_string(), "2");
    }

    #[test]
    fn byok_fee() {
        assert_eq!(MicroCredits(1_000_000).percent_ceil(5).0, 50_000);
        assert_eq!(MicroCredits(1).percent_ceil(5).0, 1);
    }
}
