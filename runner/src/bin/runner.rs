//! The `runner` binary: runs a go-task `Taskfile.yml` with the `task`
//! command line.

fn main() -> std::process::ExitCode {
    runner::taskfile::main()
}
