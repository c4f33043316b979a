use std::path::PathBuf;

/// Everything that can go wrong in this crate, each naming what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum IdentError {
    #[error("finger position {0} is not an ANSI/NIST finger code 1-10")]
    BadPosition(u8),
    #[error("no fingers given")]
    NoFingers,
    #[error("finger position {0} given twice")]
    DuplicatePosition(u8),
    #[error(
        "finger position {position} is a template of the {profile} profile; the gallery's \
         filter and fusion are measured on fast templates (extract it with the fast profile)"
    )]
    Profile {
        position: u8,
        profile: scomm_fingerprint::Profile,
    },
    // The cause is part of the text, not the error's source (callers that
    // print the chain would show it twice), as in the fingerprint crate.
    #[error("gallery file {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("gallery file is corrupt: {0}")]
    Corrupt(String),
    #[error("{}", version_message(*found, *expected))]
    Version { found: u32, expected: u32 },
}

fn version_message(found: u32, expected: u32) -> String {
    if found < expected {
        format!(
            "gallery file has format version {found}; this build reads version {expected} only: \
             rebuild the gallery from its templates (older files are not converted)"
        )
    } else {
        format!(
            "gallery file has format version {found}; this build reads version {expected} only: \
             the file was written by a newer build"
        )
    }
}
