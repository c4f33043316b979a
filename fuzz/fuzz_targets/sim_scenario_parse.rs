//! Scenario files: any text must give a scenario or an error naming a
//! line, never a panic; a scenario that parses must validate the same
//! way again from its own text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_sim::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::parse("fuzz.toml", text) {
        Ok(_) => {
            Scenario::parse("fuzz.toml", text).expect("the same text parses again");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message}");
        }
    }
});
