//! Data parallelism on scoped threads, without a thread pool.
//!
//! The freshness check stats and hashes thousands of files. These helpers
//! spread that work over up to [`threads`] scoped threads that start and end
//! within the call, so no pooled thread outlives it (a pooled thread could
//! later be restricted by the sandbox, which is permanent). Work is handed out
//! one item at a time from a shared counter, so one large file does not hold
//! up a whole chunk.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// The maximum number of threads the file work uses.
const MAX_THREADS: usize = 8;

/// Returns the number of threads to use: the available cores, at most
/// [`MAX_THREADS`]. The count is read once per process, because
/// `available_parallelism` reads cgroup files on Linux on every call.
pub(crate) fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
    })
}

/// Applies `func` to every item and returns the results in item order.
pub(crate) fn map<T, R, F>(items: &[T], func: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let workers = threads().min(items.len());
    if workers <= 1 {
        return items.iter().map(func).collect();
    }

    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { break };
            done.push((index, func(item)));
        }
        done
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(worker)).collect();
        let mut results = worker();
        for handle in handles {
            results.extend(handle.join().expect("worker panicked"));
        }
        results
    });

    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// A queue of jobs that may produce more jobs, such as directories to walk.
/// Workers stop when the queue is empty and no worker is still running a job.
pub(crate) struct WorkQueue<J> {
    state: Mutex<QueueState<J>>,
    changed: Condvar,
}

struct QueueState<J> {
    jobs: Vec<J>,
    running: usize,
}

impl<J: Send> WorkQueue<J> {
    pub(crate) fn new(jobs: Vec<J>) -> WorkQueue<J> {
        WorkQueue { state: Mutex::new(QueueState { jobs, running: 0 }), changed: Condvar::new() }
    }

    /// Runs `work` on every job, and on the jobs it pushes, on up to
    /// [`threads`] threads. Each worker starts with `init()` as its own
    /// accumulator, and the accumulators are returned at the end.
    pub(crate) fn run<A, I, W>(self, init: I, work: W) -> Vec<A>
    where
        A: Send,
        I: Fn() -> A + Sync,
        W: Fn(J, &mut A, &mut Vec<J>) + Sync,
    {
        // Many walks are one directory without subdirectories, such as a
        // missing or flat glob base. The calling thread runs the jobs alone
        // while there is at most one, so such a walk starts no thread.
        let workers = threads();
        let mut acc = init();
        let mut state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        while state.jobs.len() == 1 || (workers <= 1 && !state.jobs.is_empty()) {
            let Some(job) = state.jobs.pop() else { break };
            work(job, &mut acc, &mut state.jobs);
        }
        if state.jobs.is_empty() {
            return vec![acc];
        }

        let queue = WorkQueue { state: Mutex::new(state), changed: Condvar::new() };
        let worker = |mut acc: A| {
            let mut pushed = Vec::new();
            let mut finished = false;
            while let Some(job) = queue.next_job(finished, pushed.drain(..)) {
                work(job, &mut acc, &mut pushed);
                finished = true;
            }
            acc
        };

        // The calling thread is one of the workers, so one thread fewer is
        // spawned.
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..workers).map(|_| scope.spawn(|| worker(init()))).collect();
            let mut accs = vec![worker(acc)];
            accs.extend(handles.into_iter().map(|handle| handle.join().expect("worker panicked")));
            accs
        })
    }

    /// Queues the jobs that the worker's previous job pushed, marks that job
    /// done when `finished`, and waits for the next job. `None` means that all
    /// work is finished.
    fn next_job(&self, finished: bool, pushed: impl Iterator<Item = J>) -> Option<J> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if finished {
            state.running -= 1;
        }
        state.jobs.extend(pushed);
        loop {
            if let Some(job) = state.jobs.pop() {
                state.running += 1;
                if !state.jobs.is_empty() {
                    self.changed.notify_one();
                }
                return Some(job);
            }
            if state.running == 0 {
                self.changed.notify_all();
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_item_order() {
        let items: Vec<u64> = (0..1000).collect();

        let squares = map(&items, |n| n * n);

        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn work_queue_runs_pushed_jobs() {
        // Each job n > 0 pushes two jobs n - 1, so job 10 leads to 2^11 - 1 jobs.
        let queue = WorkQueue::new(vec![10u32]);

        let counts = queue.run(
            || 0usize,
            |job, count, more| {
                *count += 1;
                if job > 0 {
                    more.extend([job - 1, job - 1]);
                }
            },
        );

        assert_eq!(counts.iter().sum::<usize>(), 2047);
        assert_eq!(counts.len(), threads());
    }

    #[test]
    fn work_queue_single_job_stays_on_caller() {
        let caller = std::thread::current().id();
        let queue = WorkQueue::new(vec![1u32]);

        let threads_seen = queue.run(Vec::new, |job, seen, more| {
            seen.push(std::thread::current().id());
            if job > 0 {
                more.push(job - 1);
            }
        });

        assert_eq!(threads_seen.len(), 1);
        assert_eq!(threads_seen[0], [caller, caller]);
    }
}
