//! The go-task `Taskfile.yml` importer, behind the `taskfile` feature.

pub(crate) mod template;
