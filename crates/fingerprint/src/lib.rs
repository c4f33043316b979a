//! scomm-fingerprint
