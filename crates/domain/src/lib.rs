//! scomm-domain
