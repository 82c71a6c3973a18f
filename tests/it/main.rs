//! Integration tests of the whole product, compiled into one test binary.
