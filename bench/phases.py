#!/usr/bin/env python3
"""Split the gateway's time per request into phases, from syscall tracepoints.

Reads `perf script -F tid,time,event,trace` output of the gateway recorded with
`syscalls:sys_enter_recvfrom,syscalls:sys_exit_recvfrom,syscalls:sys_enter_writev` while one
client connection (file descriptor CLIENT_FD in the gateway) drives it, and prints the p10,
p50 and p90 of, per request:

  pre-call    client request read  -> upstream request written (auth, rate limit, hold, ...)
  upstream    upstream request written -> upstream answer read (fake upstream + two wake-ups)
  settlement  upstream answer read -> answer written to the client (parse, settle, commit)
  client      answer written -> next client request read (load generator + two wake-ups)

Usage: perf script ... | bench/phases.py CLIENT_FD
"""

import sys


def main() -> None:
    client_fd = int(sys.argv[1])
    pending = {}  # tid -> fd of the recvfrom it is in
    phases = {"pre-call": [], "upstream": [], "settlement": [], "client": []}
    t = {}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) < 3:
            continue
        tid, when, event = parts[0], float(parts[1].rstrip(":")), parts[2].rstrip(":")
        fd = None
        if "fd:" in line:
            fd = int(line.split("fd:")[1].split(",")[0], 16)
        if event.endswith("sys_enter_recvfrom"):
            pending[tid] = fd
        elif event.endswith("sys_exit_recvfrom"):
            fd = pending.pop(tid, None)
            ret = int(parts[3], 16) if len(parts) > 3 else 0
            if fd is None or ret == 0 or ret >= 1 << 63:  # EOF or an error (EAGAIN)
                continue
            if fd == client_fd:
                if "t3" in t:
                    phases["client"].append(when - t["t3"])
                t = {"t0": when}
            elif "t1" in t and "t2" not in t:
                t["t2"] = when
                phases["upstream"].append(when - t["t1"])
        elif event.endswith("sys_enter_writev"):
            if fd != client_fd and "t0" in t and "t1" not in t:
                t["t1"] = when
                phases["pre-call"].append(when - t["t0"])
            elif fd == client_fd and "t2" in t and "t3" not in t:
                t["t3"] = when
                phases["settlement"].append(when - t["t2"])
    print(f"{'phase':<11} {'requests':>8} {'p10 us':>7} {'p50 us':>7} {'p90 us':>7}")
    for name, xs in phases.items():
        if not xs:
            print(f"{name:<11} {0:>8}")
            continue
        xs = sorted(x * 1e6 for x in xs)
        q = lambda p: xs[min(len(xs) - 1, int(len(xs) * p))]
        print(f"{name:<11} {len(xs):>8} {q(0.1):>7.0f} {q(0.5):>7.0f} {q(0.9):>7.0f}")


if __name__ == "__main__":
    main()
