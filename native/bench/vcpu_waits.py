#!/usr/bin/env python3
"""Who preempted the vCPU threads (docs/BENCH.md, JVM-hosted unmap tail).

    vcpu_waits.py SCHED.txt TIDS

SCHED.txt: `perf script` of `perf record -e sched:sched_switch -a` taken
around a `quiesce stall` run; TIDS: the thread ids of that JVM, one or
more per line (e.g. `ls /proc/PID/task` sampled during the run). The
vCPU threads are the JVM's threads that are almost always switched out
runnable (they spin in read sections). For every interval in which a
vCPU was preempted until it ran again: the wait, and the CPU time of
whoever ran on the CPUs meanwhile, by thread (this JVM's) or by command
(other processes). Python 3 standard library only.
"""
import re, sys, collections
if len(sys.argv) != 3:
    print(__doc__.strip(), file=sys.stderr)
    sys.exit(2)
trace, tidfile = sys.argv[1], sys.argv[2]
tids = set(int(x) for x in open(tidfile).read().split())
sw = re.compile(r'\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+prev_comm=(.*?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)')
evs = []
outs = collections.Counter(); pre = collections.Counter()
for l in open(trace):
    m = sw.search(l)
    if m:
        e = (int(m.group(1)), float(m.group(2)), m.group(3), int(m.group(4)), m.group(5), m.group(6), int(m.group(7)))
        evs.append(e)
        if e[3] in tids:
            outs[e[3]] += 1
            pre[e[3]] += e[4].startswith('R')
vcpus = {t for t in outs if outs[t] > 200 and pre[t] > 0.97 * outs[t]}
cur = {}; waiting = {}; during = {}; delays = []
blame = collections.Counter(); blame_long = collections.Counter()
def label(tid, comm):
    c = re.sub(r'#?\d+$', '', comm).strip()
    return (f"JVM: {c} [{tid}]" if tid in tids else "other: " + c)
for cpu, t, pc, pt, ps, nc, nt in evs:
    if cpu in cur:
        tid0, c0, since = cur[cpu]
        for v, w0 in waiting.items():
            if tid0 not in vcpus:
                during[v][label(tid0, c0)] += t - max(since, w0)
    cur[cpu] = (nt, nc, t)
    if pt in vcpus and ps.startswith('R'):
        waiting[pt] = t; during[pt] = collections.Counter()
    if nt in waiting:
        d = t - waiting.pop(nt); delays.append(d)
        for k, v in during.pop(nt).items():
            blame[k] += v
            if d > 0.001: blame_long[k] += v
delays.sort(); n = len(delays)
q = lambda p: delays[min(n - 1, int(p * n))] * 1e3
print(f"vCPU threads {sorted(vcpus)}: {n} preemptions; wait to run again p50 {q(.5):.3f} ms, p99 {q(.99):.3f} ms, "
      f"max {delays[-1]*1e3:.3f} ms; waits > 1 ms: {sum(d > 0.001 for d in delays)}, > 2 ms: {sum(d > 0.002 for d in delays)}")
print(f"{'who ran while a vCPU waited':40s} {'all waits':>10s} {'waits>1ms':>10s}  (ms of CPU)")
for k, v in [kv for kv in blame.most_common() if kv[0].startswith('JVM')][:10] + [kv for kv in blame.most_common() if not kv[0].startswith('JVM')][:5]:
    print(f"  {k:38s} {v*1e3:10.1f} {blame_long[k]*1e3:10.1f}")
