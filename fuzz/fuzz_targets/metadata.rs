//! Letter metadata: `serde_json::from_slice::<LetterMetadata>` then
//! `metadata::canonical_json` and `metadata::metadata_mac`; also
//! `canonical_json` on any JSON value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sijil_fuzz::ACCESS_CODE;
use sijil_receipt::metadata::{canonical_json, metadata_mac, LetterMetadata};

fuzz_target!(|data: &[u8]| {
    if let Ok(metadata) = serde_json::from_slice::<LetterMetadata>(data) {
        let value = serde_json::to_value(&metadata).expect("metadata to JSON");
        let canonical = canonical_json(&value).expect("metadata has only strings: canonical JSON");
        // Canonical JSON is JSON, reads back as the same metadata, and is a
        // fixed point.
        let back: LetterMetadata =
            serde_json::from_slice(&canonical).expect("canonical metadata reads back");
        assert_eq!(back, metadata);
        let again = canonical_json(&serde_json::to_value(&back).expect("to JSON"))
            .expect("canonical JSON again");
        assert_eq!(again, canonical);
        let mac = metadata_mac(ACCESS_CODE, &metadata).expect("metadata MAC");
        assert_eq!(mac.len(), 64);
        assert_eq!(metadata_mac(ACCESS_CODE, &back).expect("metadata MAC"), mac);
    }

    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(canonical) = canonical_json(&value) {
            let reread: serde_json::Value =
                serde_json::from_slice(&canonical).expect("canonical JSON is JSON");
            let again = canonical_json(&reread).expect("canonical JSON of canonical JSON");
            assert_eq!(again, canonical, "canonical JSON is a fixed point");
        }
    }
});
