//! Forwarding a command's piped stdout and stderr, line by line.
//!
//! Both pipes are read on the calling thread: poll(2) waits until either has
//! data or is closed, and each read appends to that stream's buffer, from which
//! every complete line is handed on with its newline. A stream's last line
//! without a newline is handed on when the stream closes. Reading stops when
//! both pipes are at end of file, which comes when every process holding them
//! has exited or closed them. One thread instead of one per stream matters
//! when many short commands run: each extra thread is a creation, a wake-up
//! and a join per command.

use std::io::{self, Read};
use std::os::fd::AsRawFd;

use crate::output::Stream;

/// The size of each read from a pipe. A line may span several reads.
const CHUNK: usize = 8 * 1024;

/// One pipe being read, with the part of a line read so far.
struct Pipe<R> {
    reader: R,
    kind: Stream,
    pending: Vec<u8>,
    open: bool,
}

impl<R: Read + AsRawFd> Pipe<R> {
    fn new(reader: R, kind: Stream) -> Pipe<R> {
        Pipe { reader, kind, pending: Vec::new(), open: true }
    }

    /// Reads once and hands on every complete line. On end of file or a read
    /// error, hands on the rest and marks the pipe closed.
    fn read_some(&mut self, task: &str, chunk: &mut [u8], sink: &mut impl FnMut(Stream, &[u8])) {
        match self.reader.read(chunk) {
            Ok(0) => self.close(sink),
            Ok(count) => {
                self.pending.extend_from_slice(&chunk[..count]);
                let mut start = 0;
                while let Some(end) = self.pending[start..].iter().position(|&byte| byte == b'\n') {
                    sink(self.kind, &self.pending[start..start + end + 1]);
                    start += end + 1;
                }
                self.pending.drain(..start);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                log::debug!("failed to read output of task `{task}`: {err}");
                self.close(sink);
            }
        }
    }

    fn close(&mut self, sink: &mut impl FnMut(Stream, &[u8])) {
        if !self.pending.is_empty() {
            sink(self.kind, &self.pending);
            self.pending.clear();
        }
        self.open = false;
    }
}

/// Reads `stdout` and `stderr` of a command of `task` until both close, and
/// hands each line to `sink` with the stream it came from.
pub(crate) fn forward<O, E>(task: &str, stdout: O, stderr: E, mut sink: impl FnMut(Stream, &[u8]))
where
    O: Read + AsRawFd,
    E: Read + AsRawFd,
{
    let mut out = Pipe::new(stdout, Stream::Stdout);
    let mut err = Pipe::new(stderr, Stream::Stderr);
    let mut chunk = vec![0; CHUNK];
    while out.open || err.open {
        // A closed pipe gets a negative descriptor, which poll(2) skips.
        let descriptor = |open: bool, fd: i32| if open { fd } else { -1 };
        let mut fds = [
            libc::pollfd {
                fd: descriptor(out.open, out.reader.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: descriptor(err.open, err.reader.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a live array of two initialised `pollfd`s.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            log::debug!("failed to wait for output of task `{task}`: {error}");
            out.close(&mut sink);
            err.close(&mut sink);
            break;
        }

        // POLLHUP and POLLERR can come without POLLIN. The read then returns 0
        // or the error, which closes the pipe.
        let readable = libc::POLLIN | libc::POLLHUP | libc::POLLERR;
        if out.open && fds[0].revents & readable != 0 {
            out.read_some(task, &mut chunk, &mut sink);
        }
        if err.open && fds[1].revents & readable != 0 {
            err.read_some(task, &mut chunk, &mut sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// Runs `script` with both streams piped and returns the forwarded lines.
    fn forwarded(script: &str) -> Vec<(Stream, String)> {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = Vec::new();
        forward("test", stdout, stderr, |kind, line| {
            lines.push((kind, String::from_utf8_lossy(line).into_owned()));
        });
        assert!(child.wait().unwrap().success());
        lines
    }

    #[test]
    fn lines_keep_their_stream_and_order() {
        let lines = forwarded("echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three");
        assert_eq!(
            lines,
            [
                (Stream::Stdout, "one\n".to_string()),
                (Stream::Stderr, "two\n".to_string()),
                (Stream::Stdout, "three\n".to_string()),
            ]
        );
    }

    #[test]
    fn last_line_without_newline_is_forwarded() {
        let lines = forwarded("printf 'a\\nb'; printf 'c' >&2");
        assert!(lines.contains(&(Stream::Stdout, "a\n".to_string())), "{lines:?}");
        assert!(lines.contains(&(Stream::Stdout, "b".to_string())), "{lines:?}");
        assert!(lines.contains(&(Stream::Stderr, "c".to_string())), "{lines:?}");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn line_longer_than_a_read_stays_whole() {
        let lines = forwarded("head -c 20000 /dev/zero | tr '\\0' x; echo");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].1.len(), 20_001);
        assert!(lines[0].1.ends_with("x\n"));
    }

    #[test]
    fn many_lines_on_both_streams_all_arrive() {
        let lines =
            forwarded("i=0; while [ $i -lt 500 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done");
        let out = lines.iter().filter(|(kind, _)| *kind == Stream::Stdout).count();
        let err = lines.iter().filter(|(kind, _)| *kind == Stream::Stderr).count();
        assert_eq!(out, 500);
        assert_eq!(err, 500);
        assert_eq!(lines.iter().find(|(kind, _)| *kind == Stream::Stderr).unwrap().1, "err0\n");
    }
}
