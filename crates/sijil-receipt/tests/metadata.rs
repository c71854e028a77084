//! RFC 8785 canonical JSON and the metadata MAC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use sijil_receipt::metadata::{canonical_json, metadata_mac, Channel, LetterMetadata, Sender};

fn canon(text: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    String::from_utf8(canonical_json(&value).unwrap()).unwrap()
}

#[test]
fn canonical_json_sorts_keys_and_drops_white_space() {
    assert_eq!(
        canon(r#"{ "b": 1, "a": { "d": [true, null], "c": "x" } }"#),
        r#"{"a":{"c":"x","d":[true,null]},"b":1}"#
    );
}

#[test]
fn rfc8785_sorting_example_sorts_by_utf16_code_units() {
    // RFC 8785 section 3.2.3: the emoji (surrogates D83D DE00) sorts before
    // U+FB33, unlike in code point or UTF-8 order.
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                    \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
                    \"\u{1f600}\":\"Emoji: Grinning Face\",\
                    \"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canon(input), expected);
}

#[test]
fn rfc8785_string_escaping_example() {
    // The string and literals of RFC 8785 section 3.2.2's example (its
    // floating-point numbers are left out: we only support integers).
    let input = r#"{
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let expected =
        "{\"literals\":[null,true,false],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assert_eq!(canon(input), expected);
}

#[test]
fn control_characters_use_short_or_lowercase_unicode_escapes() {
    let value = json!({"s": "\u{8}\t\n\u{c}\r\u{1}\u{1f}\u{7f}é"});
    assert_eq!(
        String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
        "{\"s\":\"\\b\\t\\n\\f\\r\\u0001\\u001f\u{7f}é\"}"
    );
}

#[test]
fn non_integer_numbers_are_rejected() {
    assert!(canonical_json(&json!({"x": 0.5})).is_err());
    assert!(canonical_json(&json!([1e300])).is_err());
    assert_eq!(canonical_json(&json!({"x": -7})).unwrap(), br#"{"x":-7}"#);
}

fn metadata() -> LetterMetadata {
    LetterMetadata {
        sender: Sender {
            name: "Amina Benali".into(),
            address: Some("12 rue des Oliviers, Tunis".into()),
            email: None,
            national_id: None,
        },
        reference: Some("REF/2026/77".into()),
        addressee: None,
        subject: "Demande de médiation".into(),
        channel: Channel::Paper,
        letter_date: Some("2026-11-20".into()),
        notes: None,
    }
}

#[test]
fn metadata_json_omits_absent_fields_and_roundtrips() {
    let v = serde_json::to_value(metadata()).unwrap();
    assert_eq!(v["channel"], "paper");
    assert!(v.get("addressee").is_none());
    assert!(v["sender"].get("email").is_none());
    let back: LetterMetadata = serde_json::from_value(v).unwrap();
    assert_eq!(back, metadata());
}

#[test]
fn metadata_canonical_form_is_sorted() {
    let c = canonical_json(&serde_json::to_value(metadata()).unwrap()).unwrap();
    assert_eq!(
        String::from_utf8(c).unwrap(),
        "{\"channel\":\"paper\",\"letter_date\":\"2026-11-20\",\"reference\":\"REF/2026/77\",\
         \"sender\":{\"address\":\"12 rue des Oliviers, Tunis\",\"name\":\"Amina Benali\"},\
         \"subject\":\"Demande de médiation\"}"
    );
}

#[test]
fn metadata_mac_is_deterministic_hex() {
    let a = metadata_mac("K7Q2-M9XD", &metadata()).unwrap();
    let b = metadata_mac("K7Q2-M9XD", &metadata()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 64);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
}

#[test]
fn metadata_mac_depends_on_code_and_content() {
    let base = metadata_mac("K7Q2-M9XD", &metadata()).unwrap();
    assert_ne!(base, metadata_mac("K7Q2-M9XE", &metadata()).unwrap());
    let mut m = metadata();
    m.subject.push('.');
    assert_ne!(base, metadata_mac("K7Q2-M9XD", &m).unwrap());
}

#[test]
fn metadata_mac_is_hmac_sha256_of_the_canonical_json() {
    use hmac::{Hmac, Mac};
    let canonical = canonical_json(&serde_json::to_value(metadata()).unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"K7Q2-M9XD").unwrap();
    mac.update(&canonical);
    assert_eq!(
        metadata_mac("K7Q2-M9XD", &metadata()).unwrap(),
        hex::encode(mac.finalize().into_bytes())
    );
}
