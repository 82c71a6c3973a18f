//! The stderr messages of go-task 3.54 that scripts and people read, in one
//! place so their wording stays exact.

/// `task: [label] cmd`, printed before each command.
pub(crate) fn echo(label: &str, cmd: &str) -> String {
    format!("task: [{label}] {cmd}")
}

/// Printed when the checks find nothing to do.
pub(crate) fn up_to_date(label: &str) -> String {
    format!("task: Task \"{label}\" is up to date")
}

/// Printed by `--status` for the first stale task.
pub(crate) fn not_up_to_date(name: &str) -> String {
    format!("task: Task \"{name}\" is not up-to-date")
}

/// The wrapper around a failure inside a task.
pub(crate) fn failed(name: &str, inner: &str) -> String {
    format!("task: Failed to run task \"{name}\": {inner}")
}

/// Formats the unknown-task message, with a close name when there is one.
pub(crate) fn does_not_exist(name: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(close) => format!("task: Task \"{name}\" does not exist. Did you mean \"{close}\"?"),
        None => format!("task: Task \"{name}\" does not exist"),
    }
}

/// Formats the message for an internal task named on the command line.
pub(crate) fn internal(name: &str) -> String {
    format!("task: Task \"{name}\" is internal")
}

/// Formats the error for an alias that several tasks share.
pub(crate) fn ambiguous(tasks: &[String], name: &str) -> String {
    format!("task: Found multiple tasks ({}) that match \"{name}\"", tasks.join(", "))
}

/// The inner text of a failed precondition.
pub(crate) const PRECONDITION_NOT_MET: &str = "task: precondition not met";

/// Formats the message of a failed precondition that has no `msg:`.
pub(crate) fn precondition_failed(sh: &str) -> String {
    format!("task: `{sh}` failed")
}

/// Required variables that are not set.
pub(crate) fn missing_vars(name: &str, missing: &[String]) -> String {
    format!(
        "task: Task \"{name}\" cancelled because it is missing required variables: {}",
        missing.join(", ")
    )
}

/// Required variables whose value is not in their `enum`.
pub(crate) fn invalid_vars(name: &str, invalid: &[(String, String, Vec<String>)]) -> String {
    let mut text =
        format!("task: Task \"{name}\" cancelled because it is missing required variables:\n");
    for (var, value, allowed) in invalid {
        text.push_str(&format!(
            "  - {var} has an invalid value : '{value}' (allowed values : [{}])\n",
            allowed.join(" ")
        ));
    }
    text
}

/// Printed when the list of tasks is empty.
pub(crate) const NO_DESCRIBED_TASKS: &str =
    "task: No tasks with description available. Try --list-all to list all tasks";

/// Printed when `--list-all` finds no task.
pub(crate) const NO_TASKS: &str = "task: No tasks available";

/// The heading of `--list`.
pub(crate) const AVAILABLE_TASKS: &str = "task: Available tasks for this project:";
