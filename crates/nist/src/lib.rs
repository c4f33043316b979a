//! scomm-nist
