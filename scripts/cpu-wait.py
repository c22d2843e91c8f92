#!/usr/bin/env python3
"""How much CPU chatd, PostgreSQL and chatbench used over a window, and how
long their threads waited for a processor while runnable.

  scripts/cpu-wait.py snapshot FILE      record the counters now
  scripts/cpu-wait.py diff A B           compare two snapshots

Take a snapshot after chatbench has connected and another before its
measured phase ends (docs/performance.md, "Where the pairs' time goes").
The counters are the kernel's per-thread schedstat (/proc/PID/task/TID/
schedstat: nanoseconds on a CPU, nanoseconds runnable but waiting on a run
queue, times run), summed per process group; "waited per CPU second" is
how many seconds a group's threads spent ready to run but not running for
each second they ran, and a run is one stretch on a CPU between waits. Linux only; threads that ended between the snapshots are
not counted.
"""
import json
import os
import sys
import time


def group_of(comm):
    for name in ("chatbench", "chatd", "postgres"):
        if comm.startswith(name):
            return name
    return None


def thread_counters(pid):
    ran = waited = runs = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return ran, waited, runs
    for tid in tids:
        try:
            fields = open(f"/proc/{pid}/task/{tid}/schedstat").read().split()
        except OSError:
            continue
        ran += int(fields[0])
        waited += int(fields[1])
        runs += int(fields[2])
    return ran, waited, runs


def snapshot(path):
    procs = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            group = group_of(open(f"/proc/{pid}/comm").read().strip())
            if group is None:
                continue
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ran, waited, runs = thread_counters(pid)
        procs[pid] = {"group": group, "cmd": cmd.strip()[:80], "ran": ran, "waited": waited, "runs": runs}
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    with open(path, "w") as f:
        json.dump({"at": time.monotonic(), "procs": procs, "total": sum(cpu), "idle": cpu[3] + cpu[4]}, f)


def diff(path_a, path_b):
    a, b = json.load(open(path_a)), json.load(open(path_b))
    wall = b["at"] - a["at"]
    busy = 1 - (b["idle"] - a["idle"]) / (b["total"] - a["total"])
    groups, backends = {}, []
    for pid, now in b["procs"].items():
        before = a["procs"].get(pid, {"ran": 0, "waited": 0, "runs": 0})
        ran = (now["ran"] - before["ran"]) / 1e9
        waited = (now["waited"] - before["waited"]) / 1e9
        g = groups.setdefault(now["group"], [0.0, 0.0, 0])
        g[0] += ran
        g[1] += waited
        g[2] += now["runs"] - before["runs"]
        if now["group"] == "postgres":
            backends.append((ran, waited, now["cmd"]))
    print(f"window {wall:.1f} s, machine {busy * 100:.0f} % busy")
    print(f"{'process':<12}{'cores':>7}{'waiting threads':>17}{'waited per CPU second':>23}"
          f"{'runs/s':>9}{'µs per run':>12}{'µs wait per run':>17}")
    for name in sorted(groups):
        ran, waited, runs = groups[name]
        per = waited / ran if ran else 0
        each = 1e6 / runs if runs else 0
        print(f"{name:<12}{ran / wall:>7.2f}{waited / wall:>17.2f}{per:>23.2f}"
              f"{runs / wall:>9.0f}{ran * each:>12.0f}{waited * each:>17.0f}")
    print("busiest PostgreSQL processes:")
    for ran, waited, cmd in sorted(backends, reverse=True)[:3]:
        per = waited / ran if ran else 0
        print(f"  {ran / wall:5.2f} cores, waited {per:4.2f} per CPU second  {cmd}")


def main(argv):
    if len(argv) == 3 and argv[1] == "snapshot":
        snapshot(argv[2])
    elif len(argv) == 4 and argv[1] == "diff":
        diff(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
