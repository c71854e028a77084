//! Access codes: the secret printed on the citizen's copy of a receipt.
//!
//! Twelve Crockford base32 characters (60 bits), shown as `XXXX-XXXX-XXXX`.
//! The code keys the receipt's `metadata_sha256` HMAC and unlocks the letter's
//! metadata on the public pages.

use std::fmt;

use rand::RngCore;

use crate::error::{RegistryError, Result};

/// Crockford's base32 alphabet: no I, L, O or U, so codes are easy to read aloud.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH: usize = 12;
const GROUP: usize = 4;

/// A letter's access code, in its canonical printed form.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode(String);

impl AccessCode {
    /// A new random code from the operating system's generator (one call:
    /// 32 divides 256, so the low five bits of each byte pick a symbol
    /// uniformly).
    pub fn generate() -> Self {
        let mut bytes = [0u8; LENGTH];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let symbols: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
            .collect();
        AccessCode(group(&symbols))
    }

    /// Reads a code as a person may type it: any case, with or without dashes
    /// and spaces; `O` is read as `0` and `I`, `L` as `1`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut symbols = String::with_capacity(LENGTH);
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(RegistryError::Invalid(
                    "an access code has 12 letters and digits, like 7KQ2-M9XD-4TZA".into(),
                ));
            }
            symbols.push(c);
        }
        if symbols.len() != LENGTH {
            return Err(RegistryError::Invalid(
                "an access code has 12 letters and digits, like 7KQ2-M9XD-4TZA".into(),
            ));
        }
        Ok(AccessCode(group(&symbols)))
    }

    /// The canonical form, `XXXX-XXXX-XXXX`: the HMAC key of `metadata_sha256`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so that timing does not reveal a code.
    pub fn matches(&self, other: &AccessCode) -> bool {
        crate::tokens::constant_time_eq(&self.0, &other.0)
    }
}

fn group(symbols: &str) -> String {
    symbols
        .as_bytes()
        .chunks(GROUP)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl fmt::Display for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccessCode {
    /// Never prints the secret itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_twelve_symbols_in_three_groups_and_differ() {
        let a = AccessCode::generate();
        let b = AccessCode::generate();
        assert_eq!(a.as_str().len(), 14);
        assert_eq!(a.as_str().matches('-').count(), 2);
        assert_ne!(a, b);
    }

    #[test]
    fn generated_codes_draw_on_the_whole_alphabet() {
        // 1,000 codes hold 12,000 symbols: each of the 32 appears about 375
        // times, and all of them at least 250 times unless the draw is skewed.
        let mut counts = [0u32; 32];
        for _ in 0..1000 {
            for c in AccessCode::generate()
                .as_str()
                .bytes()
                .filter(|&c| c != b'-')
            {
                match ALPHABET.iter().position(|&a| a == c) {
                    Some(i) => counts[i] += 1,
                    None => panic!("{c} is not in the alphabet"),
                }
            }
        }
        assert!(counts.iter().all(|&n| n >= 250), "{counts:?}");
    }

    #[test]
    fn codes_are_read_as_people_type_them() {
        let typed = AccessCode::parse("7kq2 m9xd-4tzo");
        assert_eq!(
            typed.ok().map(|c| c.to_string()).as_deref(),
            Some("7KQ2-M9XD-4TZ0")
        );
        assert!(AccessCode::parse("7KQ2-M9XD").is_err());
        assert!(AccessCode::parse("7KQ2-M9XD-4TZU").is_err());
        assert!(AccessCode::parse("7KQ2-M9XD-4TZA-1").is_err());
    }

    #[test]
    fn matching_is_exact() {
        let a = AccessCode::parse("7KQ2-M9XD-4TZA").ok();
        let b = AccessCode::parse("7KQ2-M9XD-4TZB").ok();
        let a2 = AccessCode::parse("7kq2m9xd4tza").ok();
        assert!(matches!((&a, &a2), (Some(x), Some(y)) if x.matches(y)));
        assert!(matches!((&a, &b), (Some(x), Some(y)) if !x.matches(y)));
        assert_eq!(format!("{:?}", a), "Some(AccessCode(***))");
    }
}
