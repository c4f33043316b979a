//! scomm-hub
