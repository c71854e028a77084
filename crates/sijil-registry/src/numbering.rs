//! Registration numbers: the configurable format and the calendar year they count in.

use chrono::{Datelike, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{RegistryError, Result};

/// The default format: `BO-2026-000123`.
pub const DEFAULT_FORMAT: &str = "{prefix}-{year}-{seq:06}";

/// One piece of a number format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Prefix,
    Year,
    Seq { width: usize },
}

/// A parsed number format such as `{prefix}-{year}-{seq:06}`.
///
/// It must contain `{year}` and `{seq}` so that every number is unique; the
/// sequence restarts at 1 every calendar year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    parts: Vec<Part>,
}

impl NumberFormat {
    /// Parses a template made of text and the placeholders `{prefix}`, `{year}`,
    /// `{seq}` and `{seq:0N}` (zero-padded to N digits).
    pub fn parse(template: &str) -> Result<Self> {
        let invalid =
            |why: &str| RegistryError::Setup(format!("invalid number format {template:?}: {why}"));
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| invalid("unclosed '{'"))?
                + open;
            let part = match &rest[open + 1..close] {
                "prefix" => Part::Prefix,
                "year" => Part::Year,
                "seq" => Part::Seq { width: 0 },
                other => match other.strip_prefix("seq:0") {
                    Some(width) => Part::Seq {
                        width: width
                            .parse()
                            .ok()
                            .filter(|w| (1..=12).contains(w))
                            .ok_or_else(|| invalid("the width of {seq:0N} must be 1 to 12"))?,
                    },
                    None => return Err(invalid(&format!("unknown placeholder {{{other}}}"))),
                },
            };
            parts.push(part);
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if parts
            .iter()
            .any(|p| matches!(p, Part::Text(t) if t.contains('}')))
        {
            return Err(invalid("unmatched '}'"));
        }
        if !parts.contains(&Part::Year) || !parts.iter().any(|p| matches!(p, Part::Seq { .. })) {
            return Err(invalid("it must contain {year} and {seq}"));
        }
        Ok(NumberFormat { parts })
    }

    /// The number of the `seq`-th letter of `year`.
    pub fn format(&self, prefix: &str, year: i32, seq: i64) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Prefix => out.push_str(prefix),
                Part::Year => out.push_str(&year.to_string()),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }
}

/// How a registry numbers its letters: format, prefix and the time zone whose
/// calendar year the sequence counts in. Parsed once from the configuration;
/// the sequencer and the audit use the same value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbering {
    /// The parsed number format.
    pub format: NumberFormat,
    /// The `{prefix}`.
    pub prefix: String,
    /// The time zone in which the numbering year starts.
    pub tz: Tz,
}

impl Numbering {
    /// The number of the `seq`-th letter of `year`.
    pub fn number(&self, year: i32, seq: i64) -> String {
        self.format.format(&self.prefix, year, seq)
    }

    /// The numbering year of a time in milliseconds.
    pub fn year_of(&self, ms: i64) -> i32 {
        year_of(ms, self.tz)
    }
}

/// The calendar year, in the registry's time zone, of a time in milliseconds.
pub fn year_of(ms: i64, tz: Tz) -> i32 {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&tz).year())
        .unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_gives_prefix_year_and_six_digit_sequence() {
        let format = NumberFormat::parse(DEFAULT_FORMAT);
        assert_eq!(
            format.map(|f| f.format("BO", 2026, 123)).ok().as_deref(),
            Some("BO-2026-000123")
        );
    }

    #[test]
    fn custom_formats_are_honoured() {
        let format = NumberFormat::parse("{year}/{seq}-{prefix}");
        assert_eq!(
            format.map(|f| f.format("MR", 2027, 5)).ok().as_deref(),
            Some("2027/5-MR")
        );
    }

    #[test]
    fn formats_without_year_or_sequence_are_refused() {
        assert!(NumberFormat::parse("{prefix}-{seq}").is_err());
        assert!(NumberFormat::parse("{prefix}-{year}").is_err());
        assert!(NumberFormat::parse("{year}-{seq:0}").is_err());
        assert!(NumberFormat::parse("{year}-{seq}-{day}").is_err());
        assert!(NumberFormat::parse("{year}-{seq").is_err());
        assert!(NumberFormat::parse("{year}-{seq}}").is_err());
    }

    #[test]
    fn the_year_follows_the_registry_time_zone() {
        // 2026-12-31T23:30:00Z is already 2027 in Casablanca (UTC+1).
        let ms = 1_798_759_800_000;
        assert_eq!(year_of(ms, chrono_tz::UTC), 2026);
        assert_eq!(year_of(ms, chrono_tz::Africa::Casablanca), 2027);
    }
}
