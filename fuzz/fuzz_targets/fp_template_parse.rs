//! Finger minutiae records (ISO 19794-2, ANSI 378) and native templates:
//! any bytes must give a template or an error, never a panic or a huge
//! allocation; whatever parses must write back and parse again the same,
//! its extraction profile included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_fingerprint::formats::{self, TemplateFormat};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = formats::parse_fmr(data) {
        if let Ok(bytes) = record.to_bytes() {
            let again = formats::parse_fmr(&bytes).expect("a written record parses");
            assert_eq!(again.views, record.views);
        }
    }
    if let Ok(template) = formats::decode_template(data) {
        for format in [
            TemplateFormat::Native,
            TemplateFormat::Iso19794_2_2005,
            TemplateFormat::Ansi378_2004,
            TemplateFormat::Ansi378_2009,
        ] {
            if let Ok(bytes) = formats::encode_template(&template, format) {
                let again = formats::decode_template(&bytes).expect("an exported template imports");
                assert_eq!(again.profile, template.profile, "{format} keeps the profile");
            }
        }
    }
});
