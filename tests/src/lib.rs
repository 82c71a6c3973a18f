//! Fixture programs for the integration tests in `it/`.
