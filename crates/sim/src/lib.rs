//! scomm-sim
