//! The `runner` binary built inside the test package, so integration tests
//! can find it through `CARGO_BIN_EXE_runner-taskfile`.

fn main() -> std::process::ExitCode {
    runner::taskfile::main()
}
