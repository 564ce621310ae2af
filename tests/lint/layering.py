#!/usr/bin/env python3
"""The layering of userspace/, as docs/design.md's "Layering" table states it.

Each folder of userspace/ is a row: its public header and the folders it may
include. A file includes its own folder's headers bare ("sym_elf.h") and
another folder's public header with the folder's name ("sym/sym.h"); base/'s
headers are all public. Fails on: an include of a folder a row does not
allow, of another folder's private header, a path with "..", a folder that
is not in the table (or a row with no folder), and a cycle among the rows.

usage: layering.py [ROOT]     check ROOT (default: this tree)
       layering.py --selftest plant forbidden includes in copies; each must fail
Exit 0 pass, 1 fail.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Headers that live outside userspace/: include/ (shared with the module)
# and the pprof schema protoc-c generates.
OUTSIDE = {"hrprof.h", "hrprof_unwind.h", "hrprof_check.h", "profile.pb-c.h"}
TOP = "top"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_table(root):
    """{folder: (public header or None for every header, set of allowed)}"""
    path = os.path.join(root, "docs", "design.md")
    rows, in_section = {}, False
    for line in open(path, encoding="utf-8"):
        if line.startswith("## "):
            in_section = line.strip() == "## Layering"
            continue
        if not in_section or not line.startswith("|") or "---" in line:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("folder", ""):
            continue
        folder = cells[0].strip("`").rstrip("/")
        folder = TOP if folder.startswith("top") else folder
        public = cells[2].strip("`")
        public = None if public.startswith("every") else public
        allowed = set()
        for word in re.split(r"[,\s]+", cells[3]):
            word = word.strip("`").rstrip("/")
            if word and word not in ("-", "—", "nothing"):
                allowed.add(word)
        rows[folder] = (public, allowed)
    return rows


def find_cycle(rows):
    state, stack = {}, []

    def visit(f):
        state[f] = 1
        stack.append(f)
        for g in sorted(rows.get(f, (None, set()))[1]):
            if state.get(g) == 1:
                return stack[stack.index(g):] + [g]
            if g not in state:
                c = visit(g)
                if c:
                    return c
        stack.pop()
        state[f] = 2
        return None

    for f in sorted(rows):
        if f not in state:
            c = visit(f)
            if c:
                return c
    return None


def check(root):
    us = os.path.join(root, "userspace")
    problems = []
    try:
        rows = read_table(root)
    except OSError as e:
        return [f"docs/design.md: {e.strerror}"], 0, 0
    if not rows:
        return ["docs/design.md: no '## Layering' table"], 0, 0
    folders = sorted(d for d in os.listdir(us)
                     if os.path.isdir(os.path.join(us, d)) and d != "proto")
    for d in folders:
        if d not in rows:
            problems.append(f"userspace/{d}/: not in docs/design.md's layering table")
    for f, (public, allowed) in rows.items():
        if f != TOP and f not in folders:
            problems.append(f"docs/design.md: row '{f}' names no folder of userspace/")
        if f != TOP and public and not os.path.exists(os.path.join(us, f, public)):
            problems.append(f"userspace/{f}/{public}: the public header the table names is missing")
        for g in allowed - set(rows):
            problems.append(f"docs/design.md: row '{f}' allows '{g}', which has no row")
    cycle = find_cycle(rows)
    if cycle:
        problems.append("docs/design.md: the table allows a cycle: " + " -> ".join(cycle))
    nfiles = nincl = 0
    for dirpath, _, names in os.walk(us):
        rel = os.path.relpath(dirpath, us)
        folder = TOP if rel == "." else rel.split(os.sep)[0]
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            nfiles += 1
            path = os.path.join(dirpath, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            where = os.path.relpath(path, root)
            public, allowed = rows.get(folder, (None, set()))
            for inc in INCLUDE.findall(text):
                nincl += 1
                line = f'{where}: #include "{inc}"'
                if ".." in inc.split("/"):
                    problems.append(f"{line}: a path with '..'")
                elif "/" not in inc:
                    if inc not in OUTSIDE and not os.path.exists(os.path.join(dirpath, inc)):
                        problems.append(f"{line}: not a header of {folder}/")
                else:
                    other, hdr = inc.split("/", 1)
                    if other == folder:
                        continue
                    if other not in rows or other == TOP:
                        problems.append(f"{line}: {other}/ is not a folder of the table")
                    elif other not in allowed:
                        problems.append(f"{line}: {folder} may not include {other}/ "
                                        f"(docs/design.md, Layering)")
                    elif rows[other][0] is not None and hdr != rows[other][0]:
                        problems.append(f"{line}: {hdr} is private to {other}/ "
                                        f"(its public header is {rows[other][0]})")
    return problems, nfiles, nincl


def selftest():
    """Each planted include must be caught, naming its file."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    plants = [
        ("userspace/backend/backend_perf.c", '#include "session/session.h"', "may not include session/"),
        ("userspace/unwind/unwind.c", '#include "sym/sym_elf.h"', "private to sym/"),
        ("userspace/proc/proc.c", '#include "sym/sym.h"', "proc may not include sym/"),
        ("userspace/session/session.c", '#include "options/options.h"', "may not include options/"),
        ("userspace/base/log.c", '#include "../session/session.h"', "a path with '..'"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hrprof-layering-") as tmp:
        for path, inc, why in [(None, None, None)] + plants:
            copy = os.path.join(tmp, "t")
            shutil.rmtree(copy, ignore_errors=True)
            os.makedirs(os.path.join(copy, "docs"))
            shutil.copy(os.path.join(root, "docs", "design.md"), os.path.join(copy, "docs"))
            shutil.copytree(os.path.join(root, "userspace"), os.path.join(copy, "userspace"))
            r = None
            if path is None:
                r = subprocess.run([sys.executable, os.path.abspath(__file__), copy],
                                   capture_output=True, text=True)
                print(f"{'clean' if r.returncode == 0 else 'NOT CLEAN'}: the unplanted copy")
                if r.returncode:
                    print(r.stdout + r.stderr)
                    failed += 1
                continue
            with open(os.path.join(copy, path), "a") as f:
                f.write("\n" + inc + "\n")
            r = subprocess.run([sys.executable, os.path.abspath(__file__), copy],
                               capture_output=True, text=True)
            caught = r.returncode == 1 and path in r.stdout and why in r.stdout
            print(f"{'caught' if caught else 'MISSED'}: {inc} in {path}")
            if not caught:
                print(r.stdout + r.stderr)
                failed += 1
    return failed


def main():
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(1 if selftest() else 0)
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    problems, nfiles, nincl = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} problems")
        sys.exit(1)
    print(f"layering: {nfiles} files, {nincl} includes, as docs/design.md's table allows; no cycle")


if __name__ == "__main__":
    main()
