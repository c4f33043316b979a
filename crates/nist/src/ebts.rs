//! EBTS profile (criminal tenprint submission and response).
