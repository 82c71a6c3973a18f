//! Integration tests of the whole product, compiled into one test binary.

mod cli;
mod library;
mod support;
