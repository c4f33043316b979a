//! Gallery files: any bytes must give a gallery or an error, never a panic
//! or a huge allocation. Built with `--cfg fuzzing`, the checksum is not
//! checked, so the checks behind it (counts, postings naming fingers that
//! exist, in order) are what stands between these bytes and a search. A
//! gallery that loads must be searchable and write back to a file that
//! loads as the same bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scomm_fingerprint::Template;
use scomm_ident::synthetic::MasterFinger;
use scomm_ident::{FingerPosition, Gallery, SearchParams};

fn probe() -> &'static [(FingerPosition, Template)] {
    static PROBE: OnceLock<Vec<(FingerPosition, Template)>> = OnceLock::new();
    PROBE.get_or_init(|| {
        FingerPosition::all()
            .map(|p| {
                let finger = MasterFinger::generate(p.code() as u64);
                (p, finger.impression(7))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(gallery) = Gallery::from_bytes(data) else {
        return;
    };
    let params = SearchParams {
        shortlist: 5,
        top_k: 3,
        ..SearchParams::default()
    };
    gallery.search(probe(), &params).expect("a loaded gallery searches");
    gallery.search(&probe()[1..2], &params).expect("one finger searches");
    let bytes = gallery.to_bytes();
    let again = Gallery::from_bytes(&bytes).expect("a written gallery loads");
    assert_eq!(again.to_bytes(), bytes);
});
