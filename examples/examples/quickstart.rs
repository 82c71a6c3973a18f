//! Four tasks with a diamond dependency, over the files in `quickstart/`.
//!
//! `greeting` joins the word files into `out/greeting/greeting.txt`; `shout` and
//! `count` both read it; `report` waits for both. Run it from the repository
//! root:
//!
//! ```text
//! cargo run -p examples --example quickstart -- report
//! ```
//!
//! A second run finds every task fresh. Edit a file in `quickstart/words/`
//! and only the tasks that read it run again; `--explain` prints why.

use std::path::Path;
use std::process::ExitCode;

use runner::{Runner, Task, cmd};

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("quickstart");
    Runner::new()
        .root(root)
        .task(
            Task::new("greeting")
                .doc("Join the word files into one greeting")
                .sources(["words/*.txt"])
                .generates(["out/greeting/"])
                .sh("(cat words/*.txt | tr '\\n' ' '; echo) > out/greeting/greeting.txt"),
        )
        .task(
            Task::new("shout")
                .doc("Upper-case the greeting")
                .dep("greeting")
                .sources(["out/greeting/greeting.txt"])
                .generates(["out/shout/"])
                .sh("tr a-z A-Z < out/greeting/greeting.txt > out/shout/greeting.txt"),
        )
        .task(
            Task::new("count")
                .doc("Count the words of the greeting")
                .dep("greeting")
                .sources(["out/greeting/greeting.txt"])
                .generates(["out/count/"])
                .sh("wc -w < out/greeting/greeting.txt > out/count/words.txt"),
        )
        .task(
            Task::new("report")
                .doc("Print the shouted greeting and its word count")
                .deps(["shout", "count"])
                .sources(["out/shout/greeting.txt", "out/count/words.txt"])
                .cmd(cmd!("cat", "out/shout/greeting.txt", "out/count/words.txt")),
        )
        .main()
}
