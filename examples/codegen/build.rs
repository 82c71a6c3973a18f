//! Generates `colors.rs` in `OUT_DIR` from `schema/colors.txt` with awk, as a
//! runner task confined to its declarations: the schema, the generator, awk
//! and the one output.

use std::process::ExitCode;

use runner::build::Build;
use runner::{Scope, Task};

fn main() -> ExitCode {
    let build = Build::new();
    let colors = build.out("colors.rs");
    build
        .task(
            Task::new("colors")
                .doc("Generate the color constants from the schema")
                .sources(["schema/*.txt", "tools/gen.awk"])
                .generates([colors])
                .scopes([Scope::program("awk")])
                .sh(r#"awk -f tools/gen.awk schema/*.txt > "$OUT_DIR/colors.rs""#),
        )
        .main()
}
