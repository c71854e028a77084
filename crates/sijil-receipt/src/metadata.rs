//! Letter metadata, its RFC 8785 canonical JSON, and the keyed MAC that the
//! receipt carries as `metadata_sha256`.
//!
//! Metadata is personal, so it is never published: the receipt holds only an
//! HMAC of it keyed with the letter's access code. Whoever has both the code
//! and the metadata can recompute the MAC and compare.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Error, Result};

/// How a letter reached the registry.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Brought or posted on paper.
    Paper,
    /// Received by e-mail.
    Email,
    /// Submitted through the web form.
    Web,
    /// Delivered by a partner registry.
    Partner,
}

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 4] = [
        Channel::Paper,
        Channel::Email,
        Channel::Web,
        Channel::Partner,
    ];

    /// The lowercase name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Paper => "paper",
            Channel::Email => "email",
            Channel::Web => "web",
            Channel::Partner => "partner",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;

    /// Parses `paper`, `email`, `web` or `partner` (exactly, lowercase).
    fn from_str(s: &str) -> Result<Self> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                Error::Format(format!(
                    "unknown channel {s:?}: expected paper, email, web or partner"
                ))
            })
    }
}

/// Who sent the letter. Only the name is required.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// Name of the person or body.
    pub name: String,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// National identity number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub national_id: Option<String>,
}

/// The metadata of a letter, as the clerk API takes and returns it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LetterMetadata {
    /// The sender.
    pub sender: Sender,
    /// The sender's own reference.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reference: Option<String>,
    /// The service the letter is for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub addressee: Option<String>,
    /// Subject line.
    pub subject: String,
    /// How the letter arrived.
    pub channel: Channel,
    /// Date written on the letter (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub letter_date: Option<String>,
    /// Free notes by the clerk.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notes: Option<String>,
}

/// Appends `s` as a JSON string literal with RFC 8785 escaping: `"` and `\`
/// escaped, `\b \t \n \f \r` as short escapes, other controls below U+0020
/// as lowercase `\u00xx`, everything else (non-ASCII included) as is.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Largest integer magnitude that JSON numbers (IEEE 754 doubles) carry
/// exactly: 2^53 - 1.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn write_number(out: &mut String, n: &serde_json::Number) -> Result<()> {
    let integer = if let Some(u) = n.as_u64() {
        Some(u.to_string()).filter(|_| u <= MAX_SAFE_INTEGER)
    } else if let Some(i) = n.as_i64() {
        Some(i.to_string()).filter(|_| i.unsigned_abs() <= MAX_SAFE_INTEGER)
    } else {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64)
            // Integral and within ±2^53: the conversion is exact.
            .map(|f| format!("{}", f as i64))
    };
    match integer {
        Some(text) => {
            out.push_str(&text);
            Ok(())
        }
        None => Err(Error::Json(format!(
            "number {n} is not an integer within ±(2^53-1); canonical JSON here supports integers only"
        ))),
    }
}

fn write_canonical(out: &mut String, value: &serde_json::Value) -> Result<()> {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 3.2.3: sort by the UTF-16 code units of the names.
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, name);
                out.push(':');
                write_canonical(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// RFC 8785 (JCS) canonical JSON of `value`: no white space, object members
/// sorted by the UTF-16 code units of their names, strings escaped as
/// ECMAScript does.
///
/// Numbers are limited to integers of magnitude at most 2^53-1 (a float with
/// a zero fraction counts as one); anything else is an error, since letter
/// metadata never has them and JCS float formatting is not implemented.
pub fn canonical_json(value: &serde_json::Value) -> Result<Vec<u8>> {
    let mut out = String::new();
    write_canonical(&mut out, value)?;
    Ok(out.into_bytes())
}

/// The receipt's `metadata_sha256`: lowercase hex of
/// HMAC-SHA256(key = UTF-8 bytes of `access_code`,
/// message = `canonical_json(serde_json::to_value(metadata))`).
///
/// Absent optional fields are left out of the JSON (never `null`). The
/// registry passes the access code in its canonical printed form, so a
/// verifier must type it exactly as printed.
pub fn metadata_mac(access_code: &str, metadata: &LetterMetadata) -> Result<String> {
    let value = serde_json::to_value(metadata)?;
    let canonical = canonical_json(&value)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(access_code.as_bytes())
        .map_err(|e| Error::Key(format!("access code cannot key HMAC-SHA256: {e}")))?;
    mac.update(&canonical);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn channel_parses_and_displays_lowercase() {
        for c in Channel::ALL {
            assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.to_string());
        }
        let err = "fax".parse::<Channel>().unwrap_err().to_string();
        assert!(err.contains("fax") && err.contains("paper"), "{err}");
        assert!("Paper".parse::<Channel>().is_err());
    }

    #[test]
    fn numbers_must_be_safe_integers() {
        use serde_json::json;
        assert_eq!(canonical_json(&json!([1, -2, 0])).unwrap(), b"[1,-2,0]");
        assert_eq!(canonical_json(&json!(3.0)).unwrap(), b"3");
        assert!(canonical_json(&json!(1.5)).is_err());
        assert!(canonical_json(&json!(1u64 << 53)).is_err());
    }

    #[test]
    fn unknown_metadata_fields_are_rejected() {
        let v = serde_json::json!({
            "sender": {"name": "A", "phone": "1"},
            "subject": "s", "channel": "paper"
        });
        assert!(serde_json::from_value::<LetterMetadata>(v).is_err());
    }
}
