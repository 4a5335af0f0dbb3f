#!/usr/bin/env python3
"""make bench PROFILE=1: summarises the on-CPU profile bench/run.sh recorded with
`perf record -F 499 --call-graph ... -p <server, nginx, mariadbd>` during the timed mix:
CPU per process, the kernel's share of it, and the functions the server's processes spend
their time in (inclusive: the function or anything it calls; self: the function itself).
Reads `perf script`'s text; standard library only.

usage: profile.py PERF_DATA [--frequency 499] [--top 30]"""

import argparse
import collections
import re
import subprocess
import sys

HEADER = re.compile(r"^(?P<comm>\S.*?)\s+(?P<pid>\d+)/(?P<tid>\d+)\s*$")
FRAME = re.compile(r"^\s+(?P<addr>[0-9a-f]+)\s+(?P<sym>.*?)\s+\((?P<dso>[^()]*)\)\s*$")
# Linux maps itself into the upper half of the address space.
KERNEL_START = 0xFFFF800000000000


def samples(lines):
    """(comm, pid, tid, [(symbol, dso, is_kernel), leaf first]) per sample of `perf script`."""
    comm, pid, tid, frames = None, None, None, []
    for line in lines:
        header = HEADER.match(line)
        if header:
            if comm is not None:
                yield comm, pid, tid, frames
            comm, pid, tid = header["comm"], int(header["pid"]), int(header["tid"])
            frames = []
            continue
        frame = FRAME.match(line)
        if frame and comm is not None:
            symbol = frame["sym"]
            dso = frame["dso"].rsplit("/", 1)[-1]
            if symbol == "[unknown]":
                if dso == "[unknown]":
                    continue  # where the unwinding stopped: no function
                symbol = f"[unknown in {dso}]"
            frames.append((re.sub(r"\+0x[0-9a-f]+$", "", symbol), dso,
                           int(frame["addr"], 16) >= KERNEL_START))
    if comm is not None:
        yield comm, pid, tid, frames


def role(comm):
    if comm.startswith("weave"):
        return "weave-server"
    if comm.startswith("nginx"):
        return "nginx"
    return "mariadbd" if comm.startswith("mariadb") or comm.startswith("mysql") else comm


class Process:
    """One process's samples (its threads may have names of their own: its kind is its
    main thread's)."""

    def __init__(self):
        self.comm = None
        self.other_comms = collections.Counter()
        self.count = 0
        self.kernel = 0
        self.inclusive = collections.Counter()
        self.self_time = collections.Counter()

    def add(self, comm, main_thread, frames):
        if main_thread:
            self.comm = comm
        else:
            self.other_comms[comm] += 1
        self.count += 1
        if frames and frames[0][2]:
            self.kernel += 1
        if frames:
            self.self_time[frames[0][0]] += 1
            for symbol in {symbol for symbol, _, _ in frames}:
                self.inclusive[symbol] += 1

    def name(self):
        return self.comm or self.other_comms.most_common(1)[0][0]


def short(symbol, width=140):
    """C++ lambdas' names run to hundreds of characters."""
    return symbol if len(symbol) <= width else symbol[:width - 3] + "..."


def summarise(stream, frequency, top):
    processes = collections.defaultdict(Process)
    for comm, pid, tid, frames in stream:
        processes[pid].add(comm, pid == tid, frames)
    per_role = collections.Counter()
    kernel = collections.Counter()
    inclusive = collections.Counter()
    self_time = collections.Counter()
    for process in processes.values():
        name = role(process.name())
        per_role[name] += process.count
        kernel[name] += process.kernel
        if name == "weave-server":
            inclusive.update(process.inclusive)
            self_time.update(process.self_time)
    server = per_role["weave-server"]
    total = sum(per_role.values())
    out = [f"samples: {total} at {frequency:g} Hz = {total / frequency:.1f} CPU seconds"
           " (all recorded processes)"]
    if not total:
        return out
    out.append("")
    out.append("CPU by process kind (share of the samples; kernel: in the kernel at the sample)")
    for name, count in per_role.most_common():
        out.append(f"  {name:<16} {100 * count / total:5.1f} %  {count / frequency:7.1f} s"
                   f"  kernel {100 * kernel[name] / count:5.1f} %, user"
                   f" {100 * (count - kernel[name]) / count:5.1f} %")
    all_kernel = sum(kernel.values())
    out.append(f"  {'all':<16} 100.0 %  {total / frequency:7.1f} s  kernel"
               f" {100 * all_kernel / total:5.1f} %, user {100 * (total - all_kernel) / total:5.1f} %")
    out.append("")
    out.append("CPU per process")
    for pid, process in sorted(processes.items(), key=lambda item: -item[1].count)[:12]:
        out.append(f"  {role(process.name()):<16} pid {pid:<8} {100 * process.count / total:5.1f} %"
                   f"  {process.count / frequency:7.1f} s  kernel"
                   f" {100 * process.kernel / process.count:5.1f} %")
    if not server:
        out.append("")
        out.append("no samples of weave-server's processes")
        return out
    out.append("")
    out.append(f"weave-server: top {top} functions, inclusive (share of its {server} samples)")
    for symbol, count in inclusive.most_common(top):
        out.append(f"  {100 * count / server:5.1f} %  {short(symbol)}")
    out.append("")
    out.append(f"weave-server: top {min(top, 15)} functions, self")
    for symbol, count in self_time.most_common(min(top, 15)):
        out.append(f"  {100 * count / server:5.1f} %  {short(symbol)}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("perf_data")
    parser.add_argument("--frequency", type=float, default=499.0)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    try:
        # --no-inline: inlined frames would need addr2line per address (minutes).
        script = subprocess.Popen(["perf", "script", "-i", args.perf_data, "--no-inline",
                                   "-F", "comm,pid,tid,ip,sym,dso"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  errors="replace")
    except OSError as error:
        print(f"profile: cannot run perf script: {error}", file=sys.stderr)
        return 1
    lines = summarise(samples(script.stdout), args.frequency, args.top)
    if script.wait() != 0:
        print(f"profile: perf script failed on {args.perf_data}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
