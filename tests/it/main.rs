//! Integration tests of the whole product, compiled into one test binary.

mod build_script;
mod cli;
mod denials;
mod freshness;
mod learn;
mod library;
mod sandbox;
mod support;
mod taskfile;
