//! ANSI/NIST-ITL reader on arbitrary bytes: never panic; whatever parses must write back
//! byte for byte; validation and image views must not panic either; embedded WSQ images are
//! decoded under a small pixel limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_nist::{ebts, wsq, Compression, ImageRecord, Transaction};

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = Transaction::parse(data) else {
        return;
    };
    assert_eq!(
        tx.to_bytes(),
        data,
        "parsed transaction did not write back byte for byte"
    );
    let _ = ebts::validate(&tx);
    let _ = ebts::CriminalTenprint::read(&tx);
    if let Ok(images) = ImageRecord::all(&tx) {
        for img in images {
            if img.compression == Compression::Wsq {
                let _ = wsq::decode_with_limit(img.data, 1 << 20);
            }
        }
    }
});
