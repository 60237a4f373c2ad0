//! Nothing here: the integration tests live in `tests.rs` and `support/`.
