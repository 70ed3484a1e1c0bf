//! A second thread for long scans. A scan is cut into a list of tasks; the calling thread takes
//! tasks from the front of the list and a persistent helper thread takes them from the back,
//! until they meet. A long prompt's scan then takes about half its sequential time, however
//! its cost is spread over the scanners (attack-dense text is mostly injection patterns, text
//! full of keys mostly secrets), and the results come back in task order, so they are the same
//! as a sequential scan's.
//!
//! There is one helper per process, started on first use and only where the process can use
//! two or more CPUs (on Lambda: 3,538 MB of memory or more) and `HEXACLAW_GUARDIAN_SPLIT` is
//! not `0`. A scan uses it only when it is idle; when another scan holds it (a busy
//! gateway, where every core already has work) or there is no helper, the caller runs every
//! task itself, in order. The helper gets owned data (`'static`), so nothing borrowed crosses
//! threads.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, mpsc};
use std::time::{Duration, Instant};

/// A scan cut into tasks `0..tasks()`. A task may wait for an earlier task's output (through
/// state of its own, with [`Stop::wait_for`]); the caller starts at task 0, so an early task
/// is never left waiting for a later one.
pub(crate) trait Plan: Send + Sync + 'static {
    type Out: Send + 'static;
    fn tasks(&self) -> usize;
    fn run(&self, task: usize, stop: &Stop) -> Self::Out;
}

/// Set when one side failed; a task waiting for the other side gives up.
#[derive(Default)]
pub(crate) struct Stop(AtomicBool);

impl Stop {
    /// Spins until `ready` yields a value (another task's output); panics if the scan was
    /// abandoned meanwhile (the panic reaches the caller of [`run`]).
    pub fn wait_for<'a, T>(&self, ready: impl Fn() -> Option<&'a T>) -> &'a T {
        let mut spins = 0u32;
        loop {
            if let Some(v) = ready() {
                return v;
            }
            assert!(!self.0.load(Ordering::Acquire), "guardian scan abandoned");
            spins += 1;
            if spins % 64 == 0 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

struct Helper {
    jobs: mpsc::Sender<Job>,
    /// Held by the scan whose tasks the helper is running.
    busy: Arc<AtomicBool>,
}

/// Set to `0` to scan on the calling thread only (a host whose cores are all busy anyway).
pub(crate) const SPLIT_ENV: &str = "HEXACLAW_GUARDIAN_SPLIT";

/// Memory that buys one vCPU's worth of CPU time on Lambda.
const LAMBDA_MB_PER_VCPU: usize = 1769;

/// CPUs this process can really use at once. A Lambda function sees two or more vCPUs but
/// gets CPU time in proportion to its memory, so below 2 × 1,769 MB a second thread would
/// only share the one vCPU's worth (and spin on it).
fn usable_cpus() -> usize {
    let visible = std::thread::available_parallelism().map_or(1, |n| n.get());
    match std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|mb| mb.trim().parse::<usize>().ok())
    {
        Some(mb) => visible.min(mb / LAMBDA_MB_PER_VCPU),
        None => visible,
    }
}

static HELPER: LazyLock<Option<Helper>> = LazyLock::new(|| {
    let off = std::env::var(SPLIT_ENV).is_ok_and(|v| v.trim() == "0");
    if off || usable_cpus() < 2 {
        return None;
    }
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("guardian-helper".into())
        .spawn(move || {
            for job in queue {
                job();
            }
        })
        .ok()?;
    Some(Helper {
        jobs,
        busy: Arc::new(AtomicBool::new(false)),
    })
});

/// How long the caller spins for the helper's last task before it sleeps: the two sides end
/// close together, and waking a sleeping thread costs tens of microseconds on a VM.
const SPIN: Duration = Duration::from_micros(200);

/// The unclaimed tasks, `front..back`, packed in one word (front in the high half) so both
/// threads claim tasks with a compare-and-swap and never sleep on a lock.
struct Queue {
    ends: AtomicU64,
    stop: Stop,
}

impl Queue {
    fn new(tasks: usize) -> Queue {
        Queue {
            ends: AtomicU64::new(tasks as u64),
            stop: Stop::default(),
        }
    }

    fn take(&self, from_front: bool) -> Option<usize> {
        let mut ends = self.ends.load(Ordering::Acquire);
        loop {
            let (front, back) = (ends >> 32, ends & u64::from(u32::MAX));
            if front >= back || self.stop.0.load(Ordering::Acquire) {
                return None;
            }
            let (next, task) = if from_front {
                (ends + (1 << 32), front)
            } else {
                (ends - 1, back - 1)
            };
            match self
                .ends
                .compare_exchange_weak(ends, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return usize::try_from(task).ok(),
                Err(now) => ends = now,
            }
        }
    }

    fn drain<P: Plan>(
        &self,
        plan: &P,
        from_front: bool,
    ) -> std::thread::Result<Vec<(usize, P::Out)>> {
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut done = Vec::new();
            while let Some(i) = self.take(from_front) {
                done.push((i, plan.run(i, &self.stop)));
            }
            done
        }));
        if r.is_err() {
            self.stop.0.store(true, Ordering::Release);
        }
        r
    }
}

/// Runs every task of `plan` and returns their outputs in task order. A panic in a task
/// resumes on this thread once the helper has let go of the scan.
pub(crate) fn run<P: Plan>(plan: Arc<P>) -> Vec<P::Out> {
    let n = plan.tasks();
    // The queue packs both ends in one word; a scan has about twenty tasks.
    assert!(u32::try_from(n).is_ok(), "too many tasks for one scan: {n}");
    let queue = Arc::new(Queue::new(n));
    let helper = HELPER.as_ref().filter(|h| {
        n > 1
            && h.busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    });
    let mut theirs = None;
    if let Some(helper) = helper {
        let (reply, result) = mpsc::sync_channel(1);
        let (plan, queue2, busy) = (
            Arc::clone(&plan),
            Arc::clone(&queue),
            Arc::clone(&helper.busy),
        );
        let job: Job = Box::new(move || {
            let r = queue2.drain(&*plan, false);
            // Let go of the plan before replying: the caller may take it back by value.
            drop(plan);
            busy.store(false, Ordering::Release);
            let _ = reply.send(r);
        });
        match helper.jobs.send(job) {
            Ok(()) => theirs = Some(result),
            // The helper thread is gone (it never ends on its own): the caller does it all.
            Err(_) => helper.busy.store(false, Ordering::Release),
        }
    }
    let mine = queue.drain(&*plan, true);
    let theirs = match theirs {
        Some(result) => wait(&result),
        None => Ok(Vec::new()),
    };
    let (mine, theirs) = match (mine, theirs) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(p), _) | (_, Err(p)) => resume_unwind(p),
    };
    let mut slots: Vec<Option<P::Out>> = (0..n).map(|_| None).collect();
    for (i, out) in mine.into_iter().chain(theirs) {
        slots[i] = Some(out);
    }
    slots
        .into_iter()
        .map(|s| s.expect("every task ran once"))
        .collect()
}

fn wait<T>(result: &mpsc::Receiver<std::thread::Result<T>>) -> std::thread::Result<T> {
    let start = Instant::now();
    while start.elapsed() < SPIN {
        match result.try_recv() {
            Ok(r) => return r,
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    result
        .recv()
        .unwrap_or_else(|_| Err(Box::new("guardian helper dropped a scan")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Task 0 publishes a value; the others wait for it and add their index.
    struct Sum {
        base: OnceLock<u64>,
        fail: Option<usize>,
    }

    impl Plan for Sum {
        type Out = u64;
        fn tasks(&self) -> usize {
            40
        }
        fn run(&self, task: usize, stop: &Stop) -> u64 {
            assert_ne!(Some(task), self.fail, "task {task} failed");
            if task == 0 {
                std::thread::sleep(Duration::from_millis(2));
                return *self.base.get_or_init(|| 1000);
            }
            stop.wait_for(|| self.base.get()) + task as u64
        }
    }

    #[test]
    fn outputs_come_back_in_task_order_and_panics_reach_the_caller() {
        for _ in 0..20 {
            let out = run(Arc::new(Sum {
                base: OnceLock::new(),
                fail: None,
            }));
            assert_eq!(out, (0..40).map(|i| 1000 + i).collect::<Vec<u64>>());
        }
        // A failing task (on either side, even task 0, which the others wait for) reaches the
        // caller, and the helper is free again afterwards.
        for fail in [0, 1, 39] {
            let plan = Arc::new(Sum {
                base: OnceLock::new(),
                fail: Some(fail),
            });
            assert!(catch_unwind(AssertUnwindSafe(|| run(plan))).is_err());
        }
        let out = run(Arc::new(Sum {
            base: OnceLock::new(),
            fail: None,
        }));
        assert_eq!(out.len(), 40);
    }
}
