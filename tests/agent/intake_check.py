# SPDX-License-Identifier: GPL-2.0
"""The fake Agent's strict reading of an upload, as the profiling intake reads
it (the wire contract is in shared/facts/agent-intake.md); fake_agent.py
imports it (Python standard library only).

check_request() checks the request line and headers, the multipart body (RFC
7578 / 2046: exactly the event and profile.pprof parts), event.json (fields,
timestamps, tags_profiler) and the attachment (zstd or gzip, decompressed to
OUT/NNN.pprof and decoded with go tool pprof -raw into OUT/NNN.pprof.raw),
appending each departure to problems and what it parsed to the request's
record.
"""
import datetime
import gzip
import json
import os
import re
import subprocess

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
TAG_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_:./-]*$")

# Set by fake_agent.py's main() before it serves: its command line (out,
# agentless) and the environment go tool pprof runs in.
ARGS = None
GO_ENV = None


def hget(headers, name):
    """All values of header NAME (case-insensitive)."""
    n = name.lower()
    return [v for k, v in headers if k.lower() == n]


def parse_params(value):
    """'type; a="b"; c=d' -> ('type', {'a': 'b', 'c': 'd'}, problems)."""
    problems = []
    parts = []
    cur, q, i = "", False, 0
    while i < len(value):
        c = value[i]
        if q:
            if c == "\\" and i + 1 < len(value):
                cur += value[i + 1]
                i += 2
                continue
            if c == '"':
                q = False
            cur += c
        elif c == '"':
            q = True
            cur += c
        elif c == ";":
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if q:
        problems.append("unterminated quote in %r" % value)
    parts.append(cur)
    main = parts[0].strip()
    params = {}
    for p in parts[1:]:
        p = p.strip()
        if "=" not in p:
            problems.append("parameter without '=' in %r" % value)
            continue
        k, v = p.split("=", 1)
        k = k.strip().lower()
        v = v.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        if k in params:
            problems.append("parameter %s repeated in %r" % (k, value))
        params[k] = v
    return main, params, problems


# ------------------------------------------------------------------ multipart


def parse_multipart(body, boundary, problems):
    """Returns [(headers [(k, v)], content bytes)] parsed per RFC 7578 / 2046."""
    parts = []
    dash = b"--" + boundary
    if not body.startswith(dash + b"\r\n"):
        if dash in body:
            problems.append("multipart: body does not start with --boundary CRLF (preamble or bad line end)")
        else:
            problems.append("multipart: boundary %r not found in the body" % boundary.decode("latin-1"))
            return parts
        pos = body.index(dash) + len(dash)
        if body[pos:pos + 2] != b"\r\n":
            problems.append("multipart: first boundary line not ended by CRLF")
            return parts
        pos += 2
    else:
        pos = len(dash) + 2
    delim = b"\r\n" + dash
    closed = False
    while True:
        end = body.find(delim, pos)
        if end < 0:
            problems.append("multipart: part %d not followed by a CRLF--boundary delimiter" % (len(parts) + 1))
            break
        raw = body[pos:end]
        parts.append(parse_part(raw, len(parts) + 1, problems))
        pos = end + len(delim)
        if body[pos:pos + 2] == b"--":
            closed = True
            rest = body[pos + 2:]
            if rest != b"\r\n":
                if rest == b"":
                    problems.append("multipart: closing boundary --B-- not followed by CRLF")
                else:
                    problems.append("multipart: %d unexpected bytes after the closing boundary: %r"
                                    % (len(rest), rest[:40]))
            break
        # transport padding (LWSP) is allowed by RFC 2046 but libcurl sends none
        if body[pos:pos + 2] != b"\r\n":
            problems.append("multipart: boundary line not ended by CRLF (got %r)" % body[pos:pos + 10])
            nl = body.find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
        else:
            pos += 2
    if not closed:
        problems.append("multipart: no closing boundary --B--")
    return parts


def parse_part(raw, n, problems):
    sep = raw.find(b"\r\n\r\n")
    if raw.startswith(b"\r\n"):
        head, content = b"", raw[2:]
        problems.append("multipart: part %d has no headers" % n)
    elif sep < 0:
        problems.append("multipart: part %d has no CRLF CRLF ending its headers" % n)
        return ([], raw)
    else:
        head, content = raw[:sep], raw[sep + 4:]
    headers = []
    for line in head.split(b"\r\n") if head else []:
        if b"\n" in line or b"\r" in line:
            problems.append("multipart: part %d header line with a bare CR or LF: %r" % (n, line[:80]))
        s = line.decode("utf-8", "replace")
        if ":" not in s:
            problems.append("multipart: part %d malformed header line %r" % (n, s[:80]))
            continue
        k, v = s.split(":", 1)
        if k != k.strip() or not k:
            problems.append("multipart: part %d bad header name %r" % (n, k))
        headers.append((k.strip(), v.strip()))
    return (headers, content)


def check_part(headers, n, name, filename, ctypes, problems):
    cd = hget(headers, "Content-Disposition")
    if len(cd) != 1:
        problems.append("part %d: %d Content-Disposition headers, expected 1" % (n, len(cd)))
    else:
        main, params, pp = parse_params(cd[0])
        problems.extend("part %d: %s" % (n, p) for p in pp)
        if main.lower() != "form-data":
            problems.append("part %d: Content-Disposition %r is not form-data" % (n, main))
        if params.get("name") != name:
            problems.append("part %d: name=%r, expected %r" % (n, params.get("name"), name))
        if params.get("filename") != filename:
            problems.append("part %d: filename=%r, expected %r" % (n, params.get("filename"), filename))
    ct = hget(headers, "Content-Type")
    if len(ct) > 1:
        problems.append("part %d: %d Content-Type headers" % (n, len(ct)))
    got = ct[0].split(";")[0].strip().lower() if ct else None
    if got not in ctypes:
        problems.append("part %d (%s): Content-Type %r, expected %s" % (
            n, name, ct[0] if ct else None, " or ".join(repr(c) for c in ctypes)))
    for k, _ in headers:
        if k.lower() not in ("content-disposition", "content-type"):
            problems.append("part %d: unexpected header %r" % (n, k))


# ------------------------------------------------------------------ event


def parse_ts(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1e9 + int(s[20:29])


def check_event(raw, problems):
    try:
        ev = json.loads(raw.decode("utf-8"))
    except Exception as e:  # noqa: BLE001
        problems.append("event.json is not valid UTF-8 JSON: %s" % e)
        return None, None
    if not isinstance(ev, dict):
        problems.append("event.json is not an object")
        return ev, None
    if ev.get("attachments") != ["profile.pprof"]:
        problems.append("event.attachments is %r, expected [\"profile.pprof\"]" % (ev.get("attachments"),))
    if ev.get("family") != "native":
        problems.append("event.family is %r, expected \"native\"" % (ev.get("family"),))
    if ev.get("version") != "4":
        problems.append("event.version is %r, expected the string \"4\"" % (ev.get("version"),))
    ok_ts = True
    for k in ("start", "end"):
        v = ev.get(k)
        if not isinstance(v, str) or not TS_RE.match(v):
            problems.append("event.%s is %r, expected YYYY-MM-DDTHH:MM:SS.<9 digits>Z" % (k, v))
            ok_ts = False
    if ok_ts:
        try:
            if parse_ts(ev["start"]) > parse_ts(ev["end"]):
                problems.append("event.start %s is after event.end %s" % (ev["start"], ev["end"]))
        except ValueError as e:
            problems.append("event start/end not a valid date: %s" % e)
    for k in ("endpoint_counts", "process_tags"):
        if k in ev and ev[k] is not None:
            problems.append("event.%s is %r, expected null or absent" % (k, ev[k]))
    for k in ("internal", "info"):
        if not isinstance(ev.get(k), dict):
            problems.append("event.%s is %r, expected an object" % (k, ev.get(k, "<absent>")))
    tags = None
    tp = ev.get("tags_profiler")
    if not isinstance(tp, str):
        problems.append("event.tags_profiler is %r, expected a string" % (tp,))
    else:
        tags = {}
        for t in tp.split(","):
            if t == "":
                problems.append("tags_profiler: empty tag in %r" % tp)
                continue
            if len(t) > 200:
                problems.append("tags_profiler: tag over 200 characters: %r" % t[:60])
            if t.startswith(":") or t.endswith(":") or ":" not in t:
                problems.append("tags_profiler: tag %r is not key:value" % t)
            if not TAG_RE.match(t):
                problems.append("tags_profiler: tag %r must start with a letter and hold only [A-Za-z0-9_:./-]" % t)
            k, _, v = t.partition(":")
            if k in tags:
                if not isinstance(tags[k], list):
                    tags[k] = [tags[k]]
                tags[k].append(v)
            else:
                tags[k] = v
    return ev, tags


# ------------------------------------------------------------------ pprof


def check_attachment(data, idx, problems, rec):
    if len(data) > 10 * 1024 * 1024:
        problems.append("profile.pprof is %d bytes compressed: the backend skips profiles over 10 MiB" % len(data))
    path = os.path.join(ARGS.out, "%03d.pprof" % idx)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        rec["compression"] = "zstd"
        try:
            p = subprocess.run(["zstd", "-d", "-c", "-q"], input=data, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        except FileNotFoundError:
            problems.append("agent setup: the zstd CLI is missing (apt-get install zstd)")
            return
        if p.returncode != 0:
            problems.append("profile.pprof: zstd -d failed: %s" % p.stderr.decode("utf-8", "replace").strip()[:300])
            return
        raw = p.stdout
    elif data[:2] == b"\x1f\x8b":
        rec["compression"] = "gzip"
        try:
            raw = gzip.decompress(data)
        except Exception as e:  # noqa: BLE001
            problems.append("profile.pprof: gzip decompression failed: %s" % e)
            return
    else:
        rec["compression"] = None
        problems.append("profile.pprof starts with %s: neither zstd (28 b5 2f fd) nor gzip (1f 8b)" % data[:4].hex(" "))
        return
    rec["pprof_bytes"] = len(raw)
    with open(path, "wb") as f:
        f.write(raw)
    rec["pprof_path"] = path
    try:
        p = subprocess.run(["go", "tool", "pprof", "-raw", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=GO_ENV, timeout=60)
    except FileNotFoundError:
        problems.append("agent setup: go is missing (golang-go): cannot decode the pprof")
        return
    except subprocess.TimeoutExpired:
        problems.append("profile.pprof: go tool pprof -raw did not finish in 60 s")
        return
    if p.returncode != 0:
        problems.append("profile.pprof: go tool pprof -raw failed: %s" %
                        p.stderr.decode("utf-8", "replace").strip()[:500])
    else:
        with open(path + ".raw", "wb") as f:
            f.write(p.stdout)


# ------------------------------------------------------------------ request


def check_request(rec, method, target, version, headers, body, problems):
    want_path = "/api/v2/profile" if ARGS.agentless else "/profiling/v1/input"
    if method != "POST":
        problems.append("method %s, expected POST" % method)
    if target != want_path:
        problems.append("path %s, expected %s" % (target, want_path))
    if version != "HTTP/1.1":
        problems.append("protocol %s, expected HTTP/1.1" % version)
    if not hget(headers, "Host"):
        problems.append("no Host header")
    for name in ("Content-Type", "Content-Length", "DD-EVP-ORIGIN", "DD-EVP-ORIGIN-VERSION",
                 "User-Agent", "DD-API-KEY", "Host"):
        if len(hget(headers, name)) > 1:
            problems.append("header %s sent %d times" % (name, len(hget(headers, name))))
    exp = hget(headers, "Expect")
    if any(v.strip() for v in exp):
        problems.append("Expect: %s sent (send an empty Expect: header to libcurl)" % exp[0])
    if hget(headers, "Transfer-Encoding"):
        problems.append("Transfer-Encoding: %s, expected a Content-Length body" % hget(headers, "Transfer-Encoding")[0])
    elif not hget(headers, "Content-Length"):
        problems.append("no Content-Length header")
    origin = hget(headers, "DD-EVP-ORIGIN")
    if origin[:1] != ["hrprof"]:
        problems.append("DD-EVP-ORIGIN is %r, expected 'hrprof'" % (origin[0] if origin else None))
    ov = hget(headers, "DD-EVP-ORIGIN-VERSION")
    if not ov or not ov[0].strip():
        problems.append("DD-EVP-ORIGIN-VERSION missing or empty")
    ua = hget(headers, "User-Agent")
    if not ua or not ua[0].startswith("hrprof/"):
        problems.append("User-Agent is %r, expected hrprof/<version>" % (ua[0] if ua else None))
    key = hget(headers, "DD-API-KEY")
    if ARGS.agentless:
        if not key or len(key[0].strip()) < 32:
            problems.append("agentless: DD-API-KEY header missing or shorter than 32 characters")
    elif key:
        problems.append("DD-API-KEY sent to the Agent (only agentless uploads carry the key)")
    ct = hget(headers, "Content-Type")
    if not ct:
        problems.append("no Content-Type header")
        return
    main, params, pp = parse_params(ct[0])
    problems.extend("Content-Type: %s" % p for p in pp)
    if main.lower() != "multipart/form-data":
        problems.append("Content-Type %r, expected multipart/form-data" % ct[0])
        return
    b = params.get("boundary")
    if not b or len(b) > 70:
        problems.append("Content-Type without a valid boundary (1..70 chars): %r" % ct[0])
        return
    parts = parse_multipart(body, b.encode("latin-1"), problems)
    rec["parts"] = [[dict(h).get("Content-Disposition", ""), len(c)] for h, c in parts]
    if len(parts) != 2:
        problems.append("multipart: %d parts, expected exactly 2 (event, profile.pprof)" % len(parts))
    if len(parts) >= 1:
        check_part(parts[0][0], 1, "event", "event.json", ("application/json",), problems)
    if len(parts) >= 2:
        check_part(parts[1][0], 2, "profile.pprof", "profile.pprof", (None, "application/octet-stream"), problems)
    ev_part = next((c for h, c in parts if 'name="event"' in " ".join(hget(h, "Content-Disposition"))), None)
    pr_part = next((c for h, c in parts if 'name="profile.pprof"' in " ".join(hget(h, "Content-Disposition"))), None)
    if ev_part is None:
        problems.append("no event part")
    else:
        with open(os.path.join(ARGS.out, "%03d.event.json" % rec["index"]), "wb") as f:
            f.write(ev_part)
        rec["event"], rec["tags"] = check_event(ev_part, problems)
    if pr_part is None:
        problems.append("no profile.pprof part")
    else:
        rec["attachment_bytes"] = len(pr_part)
        check_attachment(pr_part, rec["index"], problems, rec)
