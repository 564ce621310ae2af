#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prints what the integration tests need from pprof files, decoded here
(go tool pprof prints times only to the second):

  pprof_info.py FILE...   one line per file:
    FILE time_nanos=N duration_nanos=N period=N samples=N <type>=<sum> ...
  pprof_info.py --timeline FILE...   "range START END", then "TID TS" per sample
"""
import gzip
import sys


def varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def fields(buf):
    """Yields (field number, wire type, value) of one message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        f, t = key >> 3, key & 7
        if t == 0:
            v, i = varint(buf, i)
        elif t == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif t == 1:
            v = int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif t == 5:
            v = int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise ValueError("bad wire type %d" % t)
        yield f, t, v


def signed(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def info(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings, types, samples = [], [], []
    top = {9: 0, 10: 0, 12: 0}
    for f, t, v in fields(data):
        if f == 6:
            strings.append(v.decode("utf-8", "replace"))
        elif f == 1:
            types.append(dict((ff, vv) for ff, _, vv in fields(v)).get(1, 0))
        elif f == 2:
            vals = []
            for ff, tt, vv in fields(v):
                if ff == 2 and tt == 2:
                    j = 0
                    while j < len(vv):
                        n, j = varint(vv, j)
                        vals.append(signed(n))
                elif ff == 2:
                    vals.append(signed(vv))
            samples.append(vals)
        elif f in top:
            top[f] = signed(v)
    sums = [0] * len(types)
    for vals in samples:
        for k, x in enumerate(vals[: len(types)]):
            sums[k] += x
    out = [path, "time_nanos=%d" % top[9], "duration_nanos=%d" % top[10],
           "period=%d" % top[12], "samples=%d" % len(samples)]
    for k, s in enumerate(types):
        out.append("%s=%d" % (strings[s] if s < len(strings) else "?", sums[k]))
    return " ".join(out)


def timeline(path):
    """The samples' numeric labels: one line per sample,
    "TID END_TIMESTAMP_NS" (- when a sample has none), after a first line
    "range TIME_NANOS END_NANOS"."""
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings, samples, top = [], [], {9: 0, 10: 0}
    for f, t, v in fields(data):
        if f == 6:
            strings.append(v.decode("utf-8", "replace"))
        elif f == 2:
            labels = []
            for ff, tt, vv in fields(v):
                if ff == 3:
                    lab = dict((k, x) for k, _, x in fields(vv))
                    labels.append((lab.get(1, 0), lab.get(3, 0)))
            samples.append(labels)
        elif f in top:
            top[f] = signed(v)
    out = ["range %d %d" % (top[9], top[9] + top[10])]
    for labels in samples:
        named = dict((strings[k], signed(n)) for k, n in labels)
        ts = named.get("end_timestamp_ns")
        out.append("%s %s" % (named.get("thread id", "-"), "-" if ts is None else ts))
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: pprof_info.py [--timeline] FILE...")
    if sys.argv[1] == "--timeline":
        for p in sys.argv[2:]:
            print(timeline(p))
        sys.exit(0)
    for p in sys.argv[1:]:
        print(info(p))
