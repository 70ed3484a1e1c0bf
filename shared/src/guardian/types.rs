//! Report types shared by every Guardian scanner: findings, severities, risk scores, verdicts.

use serde::{Deserialize, Serialize};

/// The five things Guardian looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Prompt injection and jailbreak attempts.
    Injection,
    /// Attempts to move data to an external destination.
    Exfiltration,
    /// Credentials and keys.
    Secrets,
    /// Personal data.
    Pii,
    /// Operator-configured deny-list terms.
    Policy,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 5] = [
        Category::Injection,
        Category::Exfiltration,
        Category::Secrets,
        Category::Pii,
        Category::Policy,
    ];

    /// Lowercase name as used in JSON and corpus labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Injection => "injection",
            Category::Exfiltration => "exfiltration",
            Category::Secrets => "secrets",
            Category::Pii => "pii",
            Category::Policy => "policy",
        }
    }

    /// Parses a corpus / JSON label.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How much a single finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: recorded, never enough to flag on its own.
    Low,
    /// Enough to flag on its own.
    Medium,
    /// Flags alone; blocks together with any other medium-or-worse finding.
    High,
    /// Blocks on its own.
    Critical,
}

impl Severity {
    /// Probability-like weight used by the risk combiner (see `score`).
    pub fn weight(self) -> f32 {
        match self {
            Severity::Low => 0.15,
            Severity::Medium => 0.45,
            Severity::High => 0.8,
            Severity::Critical => 0.95,
        }
    }
}

/// What the gateway should do with the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing at or above the flag threshold.
    Allow,
    /// Some category reached the flag threshold: pass, but log and surface.
    Flag,
    /// Some category reached the block threshold: refuse the request / stop the stream.
    Block,
}

/// One rule hit, located in the text that was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which scanner family produced it.
    pub category: Category,
    /// Stable rule identifier, e.g. `secrets.aws_access_key_id`.
    pub rule_id: &'static str,
    /// Severity after context adjustments.
    pub severity: Severity,
    /// Byte offset (inclusive) into the original text.
    pub start: usize,
    /// Byte offset (exclusive) into the original text.
    pub end: usize,
    /// Short excerpt safe to log: secrets and personal data are masked.
    pub excerpt: String,
}

/// Risk in [0, 1] per category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RiskScores {
    /// Prompt injection / jailbreak risk.
    pub injection: f32,
    /// Data exfiltration risk.
    pub exfiltration: f32,
    /// Secret leakage risk.
    pub secrets: f32,
    /// Personal data risk.
    pub pii: f32,
    /// Deny-list risk.
    pub policy: f32,
}

impl RiskScores {
    /// Score of one category.
    pub fn get(&self, c: Category) -> f32 {
        match c {
            Category::Injection => self.injection,
            Category::Exfiltration => self.exfiltration,
            Category::Secrets => self.secrets,
            Category::Pii => self.pii,
            Category::Policy => self.policy,
        }
    }

    pub(crate) fn slot(&mut self, c: Category) -> &mut f32 {
        match c {
            Category::Injection => &mut self.injection,
            Category::Exfiltration => &mut self.exfiltration,
            Category::Secrets => &mut self.secrets,
            Category::Pii => &mut self.pii,
            Category::Policy => &mut self.policy,
        }
    }

    /// Highest score over all categories.
    pub fn max(&self) -> f32 {
        Category::ALL
            .into_iter()
            .map(|c| self.get(c))
            .fold(0.0, f32::max)
    }
}

/// Result of `scan_input` / `scan_output`; serialises to the HTTP response body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    /// Allow, flag or block.
    pub verdict: Verdict,
    /// Per-category risk.
    pub risk: RiskScores,
    /// Every finding, ordered by start offset.
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// True when some finding of `category` exists.
    pub fn has(&self, category: Category) -> bool {
        self.findings.iter().any(|f| f.category == category)
    }
}

/// Per-rule breakdown returned by `analyze`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Allow, flag or block (same rule as a scan).
    pub verdict: Verdict,
    /// Per-category risk.
    pub risk: RiskScores,
    /// One-sentence summary for humans.
    pub summary: String,
    /// One entry per rule that fired.
    pub rules: Vec<RuleHit>,
    /// Every finding, ordered by start offset.
    pub findings: Vec<Finding>,
}

/// All hits of one rule, with the reason it matters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleHit {
    /// Rule identifier.
    pub rule_id: &'static str,
    /// Category of the rule.
    pub category: Category,
    /// Highest severity among the hits.
    pub severity: Severity,
    /// Number of hits.
    pub count: usize,
    /// Why this rule exists and what the hit means.
    pub explanation: &'static str,
    /// Masked excerpts of the hits (at most five).
    pub excerpts: Vec<String>,
}
