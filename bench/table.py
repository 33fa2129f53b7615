#!/usr/bin/env python3
"""table.py RESULTS.tsv MACHINE SIZE RUNTIME REPS: the markdown table of bench/run.sh from its raw
rows (target, job, MB/s, IOPS or ops/s, daemon CPU s; the seal row carries key=value text)."""
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
r = {}
for t, j, *x in rows:  # best run of each (target, job) counts
    if j == "seal":
        r[(t, j)] = x
        continue
    v = float(x[0]) if x[0] else (float(x[1]) if x[1] else 0.0)
    old = r.get((t, j))
    if old is None or v > (float(old[0]) if old[0] else float(old[1] or 0)):
        r[(t, j)] = x
def cell(t, j):
    x = r.get((t, j))
    if not x: return "—"
    mb, iops = x[0], x[1]
    return "%s MB/s, %s IOPS" % (mb, iops) if mb else "%s/s" % iops
def val(t, j):
    x = r.get((t, j))
    if not x: return None
    return float(x[0]) if x[0] else float(x[1])
def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "—"
def cpu(t, j):
    x = r.get((t, j))
    return x[2] if x and x[2] else "—"
out = ["| job | (a) host | (b) floor: jnr-fuse passthrough | (c) sealfs | (d) direct | sealfs/floor | direct/host | daemon CPU s floor / sealfs |",
       "|---|---|---|---|---|---|---|---|"]
names = {"seqwrite": "seq write 1 MiB", "seqread": "seq read 1 MiB", "randread": "rand read 4 KiB",
         "randwrite": "rand write 4 KiB", "create": "create", "stat": "stat", "unlink": "unlink"}
for j in ["seqwrite", "seqread", "randread", "randwrite", "create", "stat", "unlink"]:
    out.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
        names[j], cell("host", j), cell("floor", j), cell("sealfs", j), cell("direct", j),
        ratio(val("sealfs", j), val("floor", j)), ratio(val("direct", j), val("host", j)),
        cpu("floor", j), cpu("sealfs", j)))
s = r.get(("sealfs", "seal"))
if s:
    kv = dict(p.split("=") for p in s[0].split())
    out.append("| seal+unseal, 1 GiB prepared file | | | seal p50 %s µs, p99 %s µs; seal+unseal p50 %s µs, p99 %s µs (%s iterations) | | | | — / %s |" % (
        kv["seal_p50_us"], kv["seal_p99_us"], kv["pair_p50_us"], kv["pair_p99_us"], kv["iters"], s[2]))
print("\n".join(out))
print()
print("Machine: %s. fio psync, one job, file %s, time-bounded jobs %s s, every target best of %s "
      "interleaved runs. Ratios use MB/s (ops/s for metadata). Daemon CPU: utime+stime of the "
      "daemon during that job (best run's)." % (sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
