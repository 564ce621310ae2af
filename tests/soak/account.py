#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The soak's judge (tests/soak/soak.sh): reads OUTDIR and checks

  - exactly once: for every hrprof run (its runtime-id), each profile_seq
    from 0 to the last one seen was delivered to the fake Agent once, or
    logged as dropped by hrprof (never both, never twice); the run stopped
    cleanly took exactly as many as its exit line says;
  - no gap, no overlap: within a run, profile n+1 starts where profile n
    ended (both delivered); runs do not overlap one another;
  - the Agent saw nothing malformed: a request with a problem is one hrprof
    abandoned mid-body (its timeout, a kill, the Agent's trickle) and was
    sent again, or the check fails;
  - flat: RSS and open fds after each run's warm-up (its first third, at
    least 3 minutes) grow by at most 15 % + 8 MiB and 4 fds;
  - clean: no sanitizer report, no crash in any run's stderr.

Prints the figures and one line per failed check; exits 1 when one failed.

usage: account.py OUTDIR
"""
import datetime
import json
import os
import re
import sys

out = sys.argv[1]
bad = []


def fail(msg):
    bad.append(msg)


def ts(s):
    d, frac = s.rstrip("Z").split(".")
    t = datetime.datetime.strptime(d, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() + int(frac) / 1e9


def one(v):
    return v[0] if isinstance(v, list) else v


runs = []  # (n, rid)
with open(os.path.join(out, "runs")) as f:
    for line in f:
        n, rid = line.split()
        runs.append((int(n), rid))
events = []
if os.path.exists(os.path.join(out, "events")):
    with open(os.path.join(out, "events")) as f:
        events = [ln.split() for ln in f if ln.strip()]
killed = {int(e[1]) for e in events if e[0] == "sigkill"}
stopped = {int(e[1]): int(e[2]) for e in events if e[0] == "stopped"}
drained = {int(e[1]): int(e[2]) for e in events if e[0] == "drain"}

# ------------------------------------------------------------ the Agent's side
reqs = []
with open(os.path.join(out, "agent", "requests.jsonl")) as f:
    for line in f:
        reqs.append(json.loads(line))
delivered = {}  # rid -> seq -> [records]
aborted = 0
modes = {}
for r in reqs:
    modes[r.get("mode")] = modes.get(r.get("mode"), 0) + 1
    if r.get("mode") == "empty":
        continue
    probs = r.get("problems") or []
    if r.get("status") == 200 and not probs:
        tags = r.get("tags") or {}
        rid, seq = one(tags.get("runtime-id")), one(tags.get("profile_seq"))
        if rid is None or seq is None:
            fail("request %d accepted without runtime-id or profile_seq" % r["index"])
            continue
        delivered.setdefault(rid, {}).setdefault(int(seq), []).append(r)
        continue
    if r.get("mode") == "fail":
        continue
    # hrprof gave up on the request mid-way (timeout, SIGKILL): the Agent read
    # a short body or none; that profile is sent again later.
    if all(re.search(r"shorter than Content-Length|connection closed by the client|before the answer|"
                     r"request unreadable: "
                     r"(EOFError|ConnectionResetError|TimeoutError|timeout)", p) for p in probs) and probs:
        aborted += 1
        continue
    fail("request %d (mode %s, status %s) has problems: %s" % (r["index"], r.get("mode"), r.get("status"),
                                                             "; ".join(probs)[:300]))

outages = 0
alog = os.path.join(out, "agent", "agent.log")
if os.path.exists(alog):
    with open(alog) as f:
        outages = sum(1 for ln in f if " down for " in ln)

# ------------------------------------------------------------ hrprof's side
drop_re = re.compile(r"profile (\d+) dropped")
spool_drop_re = re.compile(r"spool: dropped \S*?-([0-9a-f-]{36})-(\d+)\.hrspool")
exit_re = re.compile(r"profiles: (\d+) taken, (\d+) uploaded, (\d+) spooled, (\d+) dropped")
san_re = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: \w+Sanitizer|"
                    r"Segmentation fault|core dumped|Aborted")
dropped = {}  # rid -> set(seq)
exits = {}
for n, rid in runs:
    for name in ("run%d.log" % n, "run%d.err" % n):
        p = os.path.join(out, name)
        if not os.path.exists(p):
            continue
        with open(p, errors="replace") as f:
            text = f.read()
        for m in drop_re.finditer(text):
            dropped.setdefault(rid, set()).add(int(m.group(1)))
        for m in spool_drop_re.finditer(text):
            dropped.setdefault(m.group(1), set()).add(int(m.group(2)))
        for m in exit_re.finditer(text):
            exits[n] = tuple(int(x) for x in m.groups())
        for ln in text.splitlines():
            if san_re.search(ln):
                fail("%s: %s" % (name, ln.strip()[:200]))
                break

# ------------------------------------------------------------ exactly once
print("soak: %d requests at the Agent (%s), %d outages, %d uploads abandoned mid-body and sent again"
      % (len(reqs), ", ".join("%s %d" % kv for kv in sorted(modes.items(), key=lambda kv: str(kv[0]))),
         outages, aborted))
print("%-4s %-36s %-9s %6s %9s %7s  %s" % ("run", "runtime-id", "end", "seqs", "delivered", "dropped", "exit line"))
spans = []
for n, rid in runs:
    d = delivered.get(rid, {})
    x = dropped.get(rid, set())
    seen = set(d) | x
    top = max(seen) if seen else -1
    how = "SIGKILL" if n in killed else ("SIGINT" if n in stopped else ("drain" if n in drained else "?"))
    ex = exits.get(n)
    print("%-4d %-36s %-9s %6d %9d %7d  %s" % (n, rid, how, top + 1, len(d), len(x),
                                            "taken %d, uploaded %d, spooled %d, dropped %d" % ex if ex else "-"))
    for seq, rs in sorted(d.items()):
        if len(rs) > 1:
            fail("run %d: profile_seq %d delivered %d times (requests %s)" % (n, seq, len(rs),
                                                                             [r["index"] for r in rs]))
        if seq in x:
            fail("run %d: profile_seq %d both delivered and logged as dropped" % (n, seq))
    missing = sorted(set(range(top + 1)) - seen)
    if missing:
        fail("run %d: profile_seq %s neither delivered nor logged as dropped" % (n, missing[:20]))
    rc = stopped.get(n, drained.get(n))
    if rc:
        fail("run %d (%s) exited %d" % (n, how, rc))
    if n in killed:
        pass  # the profile being built at the kill had no seq yet, or was lost with it
    elif ex is None:
        fail("run %d: no exit line (\"profiles: ... taken\")" % n)
    else:
        taken, uploaded, spooled, ndropped = ex
        if taken != top + 1 and not (taken == 0 and top < 0):
            fail("run %d: took %d profiles, the Agent and the log account for %d" % (n, taken, top + 1))
        if spooled and n == runs[-1][0]:
            fail("run %d (the last): %d profiles left in the spool" % (n, spooled))
    # time ranges
    prev = None
    for seq in sorted(d):
        ev = d[seq][0].get("event") or {}
        try:
            s, e = ts(ev["start"]), ts(ev["end"])
        except (KeyError, ValueError):
            fail("run %d: profile_seq %d has no valid start/end" % (n, seq))
            continue
        spans.append((s, e, n, seq))
        if prev and prev[0] == seq - 1 and abs(s - prev[1]) > 0.001:
            fail("run %d: profile_seq %d starts %.3f s %s profile %d ended" % (
                n, seq, abs(s - prev[1]), "after" if s > prev[1] else "before", seq - 1))
        prev = (seq, e)
spans.sort()
for a, b in zip(spans, spans[1:]):
    if a[2] != b[2] and b[0] < a[1] - 0.001:
        fail("run %d's profile %d (from %.3f) overlaps run %d's profile %d (to %.3f)" % (
            b[2], b[3], b[0], a[2], a[3], a[1]))
total_d = sum(len(v) for v in delivered.values())
total_x = sum(len(v) for v in dropped.values())
print("profiles: %d delivered once each, %d logged as dropped" % (total_d, total_x))
extra = set(delivered) - {rid for _, rid in runs}
if extra:
    fail("deliveries from unknown runtime-ids: %s" % sorted(extra))

# ------------------------------------------------------------ flat
rows = []
with open(os.path.join(out, "stats.tsv")) as f:
    next(f)
    for line in f:
        sec, run, pid, rss, fds, sp, rq = line.split("\t")
        rows.append((int(sec), int(run), int(rss), int(fds)))
print("per minute (second run rss_MiB fds):")
for n, _ in runs:
    mine = [r for r in rows if r[1] == n and r[2] > 0]
    if not mine:
        continue
    print("  run %d: %s" % (n, " ".join("%d:%.0f/%d" % (r[0], r[2] / 1024, r[3]) for r in mine)))
    if len(mine) < 9:
        continue
    warm = max(3, len(mine) // 3)
    base = mine[warm - 1]
    peak_rss = max(r[2] for r in mine[warm:])
    peak_fds = max(r[3] for r in mine[warm:])
    print("  run %d after warm-up (minute %d on): rss %.1f -> peak %.1f MiB, fds %d -> peak %d" % (
        n, warm, base[2] / 1024, peak_rss / 1024, base[3], peak_fds))
    if peak_rss > base[2] * 1.15 + 8 * 1024:
        fail("run %d: RSS grew from %.1f to %.1f MiB after warm-up" % (n, base[2] / 1024, peak_rss / 1024))
    if peak_fds > base[3] + 4:
        fail("run %d: open fds grew from %d to %d after warm-up" % (n, base[3], peak_fds))

for b in bad:
    print("FAIL: " + b)
print("soak: %s" % ("ok" if not bad else "%d checks failed" % len(bad)))
sys.exit(1 if bad else 0)
