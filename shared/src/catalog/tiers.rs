//! Plan tiers: rate limits, concurrency, monthly credit grants and list prices.

use crate::money::MicroCredits;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An account's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Trial,
    Pro,
    Max,
    Enterprise,
}

/// Per-key limits and the monthly grant of one tier (API reference, "Rate Limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TierLimits {
    pub requests_per_minute: u32,
    pub requests_per_day: u32,
    /// Requests in flight at once (concurrency leases).
    pub concurrent_requests: u32,
    /// Credits granted at the start of each month.
    pub monthly_credits: MicroCredits,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 4] = [Tier::Trial, Tier::Pro, Tier::Max, Tier::Enterprise];

    /// Lowercase id, as stored and as serde writes it.
    pub const fn id(self) -> &'static str {
        match self {
            Tier::Trial => "trial",
            Tier::Pro => "pro",
            Tier::Max => "max",
            Tier::Enterprise => "enterprise",
        }
    }

    /// Capitalised name for the CLI and dashboard.
    pub const fn display_name(self) -> &'static str {
        match self {
            Tier::Trial => "Trial",
            Tier::Pro => "Pro",
            Tier::Max => "Max",
            Tier::Enterprise => "Enterprise",
        }
    }

    /// Rate limits and monthly credits.
    pub const fn limits(self) -> TierLimits {
        let (rpm, rpd, concurrent, credits) = match self {
            Tier::Trial => (30, 500, 3, 200),
            Tier::Pro => (60, 2_000, 5, 2_000),
            Tier::Max => (120, 10_000, 10, 5_000),
            Tier::Enterprise => (600, 100_000, 50, 50_000),
        };
        TierLimits {
            requests_per_minute: rpm,
            requests_per_day: rpd,
            concurrent_requests: concurrent,
            monthly_credits: MicroCredits::credits(credits),
        }
    }

    /// Monthly list price in US cents; `None` where the reference publishes none.
    pub const fn monthly_price_usd_cents(self) -> Option<u32> {
        match self {
            Tier::Pro => Some(1_999),
            Tier::Max => Some(4_900),
            Tier::Trial | Tier::Enterprise => None,
        }
    }

    /// Price as shown to people.
    pub const fn price_display(self) -> &'static str {
        match self {
            Tier::Trial => "Free",
            Tier::Pro => "$19.99/mo",
            Tier::Max => "$49/mo",
            Tier::Enterprise => "Custom",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A tier name that is not one of trial, pro, max, enterprise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier: {0} (expected trial, pro, max or enterprise)")]
pub struct UnknownTier(pub String);

impl FromStr for Tier {
    type Err = UnknownTier;
    /// Accepts the ids in any ASCII case (admin CLI input), nothing else.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.id().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownTier(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_rate_limit_table() {
        // (tier, req/min, req/day, concurrent, monthly credits) from the API reference.
        let table = [
            (Tier::Trial, 30, 500, 3, 200),
            (Tier::Pro, 60, 2_000, 5, 2_000),
            (Tier::Max, 120, 10_000, 10, 5_000),
            (Tier::Enterprise, 600, 100_000, 50, 50_000),
        ];
        for (tier, rpm, rpd, conc, credits) in table {
            let l = tier.limits();
            assert_eq!(l.requests_per_minute, rpm, "{tier}");
            assert_eq!(l.requests_per_day, rpd, "{tier}");
            assert_eq!(l.concurrent_requests, conc, "{tier}");
            assert_eq!(l.monthly_credits.micros(), credits * 1_000_000, "{tier}");
        }
    }

    #[test]
    fn serde_and_parse_use_lowercase_ids() {
        for t in Tier::ALL {
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::json!(t.id()))
            );
            let back: Result<Tier, _> = serde_json::from_value(serde_json::json!(t.id()));
            assert_eq!(back.ok(), Some(t));
            assert_eq!(t.id().parse::<Tier>(), Ok(t));
        }
        assert_eq!("MAX".parse::<Tier>(), Ok(Tier::Max));
        assert!("premium".parse::<Tier>().is_err());
        assert!(" pro".parse::<Tier>().is_err());
        assert!(serde_json::from_value::<Tier>(serde_json::json!("Pro")).is_err());
    }

    #[test]
    fn prices() {
        assert_eq!(Tier::Pro.price_display(), "$19.99/mo");
        assert_eq!(Tier::Max.price_display(), "$49/mo");
        assert_eq!(Tier::Pro.monthly_price_usd_cents(), Some(1_999));
        assert_eq!(Tier::Trial.monthly_price_usd_cents(), None);
        assert!(Tier::Trial < Tier::Enterprise);
    }
}
