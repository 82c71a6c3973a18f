//! A test program built on `Runner::main`, with fixed task graphs.
//!
//! `fixture SCENARIO [ARGS]...` declares the tasks of one scenario, rooted at
//! the current directory, and hands the remaining arguments to the runner's
//! CLI. Tasks leave marks by appending lines to the file `marks`, so tests
//! judge what ran and in which order from that file, not from timings.

use std::process::ExitCode;

use runner::{Runner, SandboxMode, Scope, Task, cmd};

/// Appends `line` to `marks` from a shell step.
fn mark(line: &str) -> String {
    format!("echo {line} >> marks")
}

/// Returns a step that marks its start, waits up to three seconds for
/// `other` to start, then marks its end. Two such tasks that overlap see each other.
fn meet(name: &str, other: &str) -> String {
    format!(
        "echo start-{name} >> marks\n\
         i=0\n\
         while [ $i -lt 30 ] && ! grep -q start-{other} marks; do sleep 0.1; i=$((i+1)); done\n\
         echo end-{name} >> marks"
    )
}

fn scenario(name: &str) -> Option<Vec<Task>> {
    let tasks = match name {
        "diamond" => vec![
            Task::new("top").doc("The top of the diamond").deps(["left", "right"]).sh(mark("top")),
            Task::new("left").dep("base").sh(mark("left")),
            Task::new("right").dep("base").sh(mark("right")),
            Task::new("base").doc("Shared by left and right").sh(mark("base")),
        ],
        "overlap" => vec![
            Task::new("both").deps(["a", "b"]),
            Task::new("a").sh(meet("a", "b")),
            Task::new("b").sh(meet("b", "a")),
        ],
        "fail" => vec![
            Task::new("bad").sh("echo bad-ran >> marks; exit 3"),
            Task::new("after").dep("bad").sh(mark("after")),
            Task::new("independent").sh(mark("independent")),
        ],
        "cycle" => vec![Task::new("a").dep("b"), Task::new("b").dep("c"), Task::new("c").dep("a")],
        "unknown" => vec![Task::new("build").dep("codgen"), Task::new("codegen")],
        "sleep" => vec![
            Task::new("sleep").sh("echo $$ > pid; exec sleep 60"),
            Task::new("tree").sh("sleep 60 & echo $! > pid; wait"),
        ],
        "write" => vec![
            Task::new("write").dep("first").cmd(cmd!("touch", "written")),
            Task::new("first").sh("echo first > first.txt").sources(["input.txt"]),
        ],
        "crowd" => {
            let names: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
            let mut tasks: Vec<Task> = names
                .iter()
                .map(|name| {
                    Task::new(name.as_str()).sh("echo start >> marks; sleep 0.2; echo end >> marks")
                })
                .collect();
            tasks.push(Task::new("all").deps(names));
            tasks
        }
        "output" => vec![
            Task::new("say").sh("echo hello; echo oops >&2"),
            Task::new("also").sh("echo also"),
        ],
        "steps" => vec![
            Task::new("steps")
                .cmd(cmd!("sh", "-c", "echo cmd >> marks"))
                .call("callee")
                .func("write-mark", |context| {
                    let marks = context.root().join("marks");
                    let mut text = std::fs::read_to_string(&marks).unwrap_or_default();
                    text.push_str("func\n");
                    std::fs::write(marks, text)?;
                    Ok(())
                })
                .sh(mark("sh")),
            Task::new("callee").sh(mark("callee")).scope(Scope::program("sh")),
        ],
        "incremental" => vec![
            Task::new("gen")
                .sources(["gen/*.txt"])
                .generates(["out/gen.txt"])
                .sh("echo gen >> marks; mkdir -p out; cat gen/*.txt > out/gen.txt"),
            Task::new("build")
                .dep("gen")
                .sources(["src/*.txt"])
                .generates(["out/build.txt"])
                .sh("echo build >> marks; cat src/*.txt out/gen.txt > out/build.txt"),
            Task::new("docs").sources(["docs/*.md"]).sh(mark("docs")),
            Task::new("all").deps(["build", "docs"]),
            Task::new("flaky").sources(["src/*.txt"]).sh("echo flaky >> marks; test -f pass"),
            Task::new("slow")
                .sources(["src/*.txt"])
                .sh("echo start >> marks; sleep 0.5; echo end >> marks"),
            Task::new("wait").sources(["src/*.txt"]).sh(
                "echo start >> marks; while [ ! -f go ]; do sleep 0.05; done; echo end >> marks",
            ),
        ],
        "generated-sources" => vec![
            Task::new("gen").sources(["in.txt"]).generates(["out/"]).sh("cp in.txt out/gen.txt"),
            Task::new("use").dep("gen").sources(["out/gen.txt"]).sh(mark("use")),
            Task::new("typo").sources(["inputs/*.txt"]).sh(mark("typo")),
        ],
        "outdirs" => vec![
            Task::new("own")
                .sources(["in.txt"])
                .generates(["own/"])
                .sh("echo own >> marks; cat in.txt > own/copy.txt"),
            Task::new("left")
                .sources(["in.txt"])
                .generates(["shared/"])
                .sh("echo left >> marks; echo left > shared/left.txt; rm -f shared/right.txt"),
            Task::new("right")
                .sources(["in.txt"])
                .generates(["shared/"])
                .sh("echo right >> marks; echo right > shared/right.txt"),
        ],
        "at-root" => vec![
            Task::new("at-root").generates(["*.txt"]).sh(mark("at-root")),
            Task::new("fine").sh(mark("fine")),
        ],
        "read" => vec![Task::new("read").sh("read line; echo \"got $line\"")],
        "nodir" => vec![Task::new("nodir").dir("nope").sh("pwd")],
        "outside" => vec![Task::new("outside").generates(["../outside/"]).sh(mark("outside"))],
        "sandbox" => vec![
            Task::new("inside").generates(["out/"]).sh("echo inside > out/inside.txt"),
            Task::new("escape").generates(["out/"]).sh("echo escaped > escaped.txt"),
            Task::new("tool").cmd(cmd!("tools/mytrue")),
            Task::new("outer")
                .generates(["out/outer/"])
                .call("inner")
                .sh("echo outer > out/outer/outer.txt; echo leak > out/inner/leak.txt || true"),
            Task::new("inner").generates(["out/inner/"]).sh("echo inner > out/inner/inner.txt"),
            Task::new("closure").generates(["out/"]).func("write-outside", |context| {
                std::fs::write(context.root().join("out/inside.txt"), "inside\n")?;
                std::fs::write(context.root().join("escaped.txt"), "escaped\n")?;
                Ok(())
            }),
            Task::new("nested").generates(["out/"]).cmd(cmd!(
                std::env::current_exe().expect("the fixture knows its own path"),
                "sandbox",
                "--no-sandbox",
                "escape"
            )),
        ],
        "learn" => {
            let script = "\
import os
text = open('data/a.txt').read() + open('data/b.csv').read()
os.makedirs('out', exist_ok=True)
open('out/result.txt', 'w').write(text)
";
            vec![
                Task::new("prepare").sh(format!("cat > gen.py <<'EOF'\n{script}EOF")),
                Task::new("gen").dep("prepare").cmd(cmd!("python3", "gen.py")),
                Task::new("declared")
                    .dep("prepare")
                    .sources(["gen.py", "data/a.txt", "data/b.csv"])
                    .generates(["out/"])
                    .scope(Scope::program("python3"))
                    .cmd(cmd!("python3", "gen.py")),
                Task::new("failing").sh("cat data/a.txt; exit 4"),
                Task::new("mkdir")
                    .sources(["data/a.txt"])
                    .generates(["build"])
                    .sh("mkdir -p build && cp data/a.txt build/a.txt"),
                Task::new("closure").func("touch", |_| {
                    std::fs::write("closure.txt", "untraced\n").map_err(Into::into)
                }),
                Task::new("cargo").cmd(cmd!("cargo", "build", "--offline", "--quiet")),
                Task::new("cargo-declared")
                    .sources(["Cargo.toml", "src/main.rs"])
                    .generates(["Cargo.lock", "target/"])
                    .scopes([Scope::rust_toolchain(), Scope::git_config()])
                    .cmd(cmd!("cargo", "build", "--offline", "--quiet")),
            ]
        }
        "traced" => {
            let port = std::env::var("FIXTURE_PORT").unwrap_or_else(|_| "9".to_string());
            let connect =
                "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])))";
            vec![
                Task::new("read")
                    .sources(["data/main.txt"])
                    .sh("cat data/main.txt > /dev/null; cat data/extra.txt"),
                Task::new("write")
                    .generates(["out/"])
                    .sh("echo x > out/ok.txt; echo y > stray/new.txt"),
                Task::new("connect").cmd(cmd!("/usr/bin/python3", "-c", connect, port)),
                Task::new("closure").func("fail", |_| Err("closure failed".into())),
            ]
        }
        "denials" => vec![
            Task::new("read-extra").sources(["a.txt"]).sh("cat a.txt gen/extra.txt"),
            Task::new("write-outside").generates(["out/"]).sh("echo x > out/a; echo x > other/b"),
            Task::new("connect").cmd(cmd!(
                "bash",
                "-c",
                "exec 3<>/dev/tcp/127.0.0.1/$DENIALS_PORT"
            )),
            Task::new("exit").sh("exit 3"),
            Task::new("ok").sh("true"),
            Task::new("many").sources(["a.txt"]).sh(
                "i=0; while [ $i -lt 2000 ]; do read -r x < gen/extra.txt 2>/dev/null || true; i=$((i+1)); done; exit 1",
            ),
            Task::new("closure").func("read-extra", |context| {
                std::fs::read(context.root().join("gen/extra.txt"))?;
                Ok(())
            }),
            Task::new("wait").generates(["out/"]).sh("touch out/started; exec sleep 30"),
        ],
        _ => return None,
    };
    Some(tasks)
}

/// Prints the library's warnings and errors to stderr, as `Runner::main` does, which the
/// fixture cannot call because its first argument names the scenario.
struct Warnings;

static WARNINGS: Warnings = Warnings;

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn && metadata.target().starts_with("runner")
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_lowercase();
            eprintln!("{level}: {}", record.args());
        }
    }

    fn flush(&self) {}
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(name) = args.next().and_then(|name| name.into_string().ok()) else {
        eprintln!("usage: fixture SCENARIO [ARGS]...");
        return ExitCode::from(2);
    };
    let Some(tasks) = scenario(&name) else {
        eprintln!("unknown scenario `{name}`");
        return ExitCode::from(2);
    };
    let root = std::env::current_dir().expect("the current directory is readable");
    let args: Vec<_> = args.collect();
    // The other scenarios observe their tasks through files such as `marks`
    // that no task declares, so only the sandbox, denials and traced
    // scenarios run with the product's default mode; `--sandbox` still
    // overrides it.
    let sandboxed = matches!(name.as_str(), "sandbox" | "denials" | "traced");
    let default_sandbox = if sandboxed { SandboxMode::Warn } else { SandboxMode::Off };
    let runner = Runner::new().root(root).default_sandbox(default_sandbox).tasks(tasks);
    if log::set_logger(&WARNINGS).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    match runner.run(args) {
        Ok(report) => ExitCode::from(report.exit_code()),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
