//! scomm-store
