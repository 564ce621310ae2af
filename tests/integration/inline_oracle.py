#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks a profile's lines against addr2line, the oracle:

  inline_oracle.py PROFILE BINARY [--no-inlines]

For every location in BINARY's mapping (decoded by `go tool pprof -raw`),
runs `addr2line -a -f -i -C` on its address (less one for a return address:
a location only ever seen as a caller) and compares, innermost first, each
function's name and file:line with the location's lines. With --no-inlines
each location must have one line: addr2line's outermost frame. Locations
seen both as leaf and as caller are left out (either address is right).
Names, base names of files and lines must be equal, but for "??:0"
(addr2line has no line: the profile names the object). Where binutils
disagrees, elfutils' eu-addr2line is asked as a second oracle: binutils 2.40
names the compile unit's own file for a function defined in a header and
not inlined (objdump --dwarf=decodedline names the header), and no name for
a function inlined before its abstract definition comes in the DWARF (it
prints the caller's). Those count apart; the profile must agree with one.
Prints "checked N locations (I with inlined frames), M mismatches" and exits
1 on any mismatch or when nothing was checked.
"""
import os
import re
import subprocess
import sys

LOC = re.compile(r"^\s+(\d+): (0x[0-9a-f]+) (?:M=(\d+) )?(.*)$")
LINE = re.compile(r"^(.*) (\S*):(\d+) s=\d+(?:\(.*\))?$")
SAMPLE = re.compile(r"^\s+[\d ]+:((?: \d+)+)\s*$")
MAPPING = re.compile(r"^(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (\S+)")


def parse_raw(profile):
    raw = subprocess.run(["go", "tool", "pprof", "-raw", profile], check=True,
                         capture_output=True, text=True).stdout
    section, locs, maps, leaf, caller = None, {}, {}, set(), set()
    cur = None
    for line in raw.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
            continue
        if section == "Samples:":
            m = SAMPLE.match(line)
            if m:
                ids = [int(x) for x in m.group(1).split()]
                leaf.add(ids[0])
                caller.update(ids[1:])
        elif section == "Locations":
            m = LOC.match(line)
            if m:
                cur = int(m.group(1))
                locs[cur] = {"addr": int(m.group(2), 16),
                             "map": int(m.group(3) or 0), "lines": []}
                rest = m.group(4)
            elif cur is not None and line.startswith(" " * 13):
                rest = line.strip()
            else:
                continue
            lm = LINE.match(rest)
            if lm:
                locs[cur]["lines"].append((lm.group(1), lm.group(2), int(lm.group(3))))
        elif section == "Mappings":
            m = MAPPING.match(line)
            if m:
                maps[int(m.group(1))] = (int(m.group(2), 16), int(m.group(4), 16),
                                         m.group(5))
    return locs, maps, leaf, caller


def segments(binary):
    out = subprocess.run(["readelf", "-lW", binary], check=True, capture_output=True,
                         text=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    return segs


def to_vaddr(segs, off):
    for o, v, sz in segs:
        if o <= off < o + sz:
            return off - o + v
    return None


def addr2line(binary, addrs, tool="addr2line"):
    out = subprocess.run([tool, "-a", "-f", "-i", "-C", "-e", binary] +
                         ["%#x" % a for a in addrs], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    res, i = {}, 0
    while i < len(out):
        a = int(out[i], 16)
        i += 1
        frames = []
        while i + 1 < len(out) and not re.match(r"^0x[0-9a-f]+$", out[i]):
            fl = re.sub(r" \(discriminator \d+\)$", "", out[i + 1])
            name = out[i].split(" inlined at ")[0]
            if tool != "addr2line" and re.search(r":\d+:\d+$", fl):
                fl = fl.rpartition(":")[0]  # eu-addr2line adds the column
            f, _, ln = fl.rpartition(":")
            frames.append((name, os.path.basename(f), int(ln) if ln.isdigit() else 0))
            i += 2
        res[a] = frames
    return res


def agrees(got, exp, inlines, loose=False):
    if not inlines:
        exp = exp[-1:]
    if len(got) == len(exp) == 1 and exp[0][1:] == ("??", 0):
        exp = [(exp[0][0],) + got[0][1:]]
    if loose:  # eu-addr2line names a function without a linkage name by its
        # DWARF name, where the symbol table has it mangled: "f", not "f()"
        got = [(re.sub(r"\(.*\)$", "", n),) + tuple(r) for n, *r in got]
        exp = [(re.sub(r"\(.*\)$", "", n),) + tuple(r) for n, *r in exp]
    return got == exp


def main():
    profile, binary = sys.argv[1], sys.argv[2]
    inlines = "--no-inlines" not in sys.argv[3:]
    locs, maps, leaf, caller = parse_raw(profile)
    segs = segments(binary)
    want = {}
    for lid, loc in locs.items():
        mp = maps.get(loc["map"])
        if not mp or os.path.realpath(mp[2]) != os.path.realpath(binary):
            continue
        if (lid in leaf) == (lid in caller):
            continue
        look = loc["addr"] if lid in leaf else loc["addr"] - 1
        va = to_vaddr(segs, look - mp[0] + mp[1])
        if va is not None:
            want[lid] = va
    oracle = addr2line(binary, sorted(set(want.values())))
    second = None
    bad = withinl = other = 0
    for lid, va in sorted(want.items()):
        got = [(n, os.path.basename(f), ln) for n, f, ln in locs[lid]["lines"]]
        if len(got) > 1:
            withinl += 1
        if agrees(got, oracle.get(va, []), inlines):
            continue
        if second is None:
            second = addr2line(binary, sorted(set(want.values())), "eu-addr2line")
        if agrees(got, second.get(va, []), inlines, loose=True):
            other += 1
            continue
        bad += 1
        print("location %d (%#x): profile %s, addr2line %s, eu-addr2line %s" %
              (lid, va, got, oracle.get(va), second.get(va)))
    print("checked %d locations (%d with inlined frames, %d as eu-addr2line only), "
          "%d mismatches" % (len(want), withinl, other, bad))
    sys.exit(1 if bad or not want else 0)


if __name__ == "__main__":
    main()
