#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake Datadog Agent for the upload tests (Python standard library only).

It parses every upload as strictly as the profiling intake does (see the wire
contract in shared/facts/agent-intake.md; the checks are in intake_check.py)
and records each request as one JSON line in OUT/requests.jsonl:

  index, time, t_accept, method, path, version, status (answered; null when the
  connection was reset), headers ([[name, value], ...] in order), problems ([]
  when the request is valid), event (the parsed event.json), tags (dict from
  tags_profiler; a list when a key repeats), compression ("zstd"/"gzip"),
  pprof_path (OUT/NNN.pprof, decompressed), mode (normal, fail, status,
  reset, delayed)

A request with any problem is answered 400, unless a failure mode answers first.
Each request's raw body goes to OUT/NNN.body and its event to OUT/NNN.event.json.

usage: fake_agent.py --out DIR [--port N | --port-file FILE | --unix PATH]
         [--fail-first N] [--fail-status CODE] [--status CODE]
         [--delay SECONDS] [--delay-first N] [--reset-first N] [--agentless]
         [--fail-every N] [--outage-every SECONDS --outage-for SECONDS]
         [--slow-body-at INDEX --slow-body-secs SECONDS] [--info-no-profiling]

GET /info is answered as the Agent does, with the endpoints it serves
(/profiling/v1/input among them unless --info-no-profiling), for hrprof
doctor; it is counted in OUT/info.log, not recorded as a request.

For the soak (tests/soak/soak.sh): --fail-every N answers every Nth request
500 (mode "fail"); --outage-every/--outage-for close the listening socket
(connections refused) for the second duration every first duration, requests
in flight still answered, and log "down"/"up" with the time in agent.log;
--slow-body-at reads that request's body a trickle at a time (256 bytes a
quarter second) for --slow-body-secs before reading the rest (mode "slow").
A restarted agent with the same --out goes on numbering after the requests
already in requests.jsonl.

OUT/ready is written once the agent listens; OUT/port holds the TCP port.
"""
import argparse
import json
import os
import re
import shutil
import socket
import socketserver
import struct
import sys
import tempfile
import threading
import time
import traceback

# intake_check.py sits beside this file; no __pycache__ is written into the
# tree (read-only in the VM guests).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intake_check  # noqa: E402
from intake_check import check_request, hget  # noqa: E402

MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
READ_TIMEOUT = 30
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden",
           404: "Not Found", 408: "Request Timeout", 413: "Payload Too Large",
           429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

ARGS = None
LOCK = threading.Lock()
COUNTER = [0]


def next_index():
    with LOCK:
        i = COUNTER[0]
        COUNTER[0] += 1
        return i


def record(rec):
    line = json.dumps(rec, sort_keys=True)
    with LOCK:
        with open(os.path.join(ARGS.out, "requests.jsonl"), "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def log(msg):
    with LOCK:
        with open(os.path.join(ARGS.out, "agent.log"), "a") as f:
            f.write("%.3f %s\n" % (time.time(), msg))


# ------------------------------------------------------------------ HTTP


class Conn:
    """Buffered reads on a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("connection closed by the client")
        self.buf += d

    def read_until(self, sep, limit):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("header section over %d bytes" % limit)
            self.fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_some(self, n):
        """Up to n bytes (at least one unless EOF)."""
        if not self.buf:
            try:
                self.fill()
            except EOFError:
                return b""
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def read_chunked(conn, problems):
    body = b""
    while True:
        line = conn.read_until(b"\r\n", 1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            problems.append("bad chunk size line %r" % line[:40])
            return body
        if size == 0:
            # trailers
            while conn.read_until(b"\r\n", MAX_HEADER) != b"\r\n":
                pass
            return body
        body += conn.read_exact(size)
        if conn.read_exact(2) != b"\r\n":
            problems.append("chunk not followed by CRLF")
        if len(body) > MAX_BODY:
            raise ValueError("chunked body over %d bytes" % MAX_BODY)


# ------------------------------------------------------------------ handler


def client_gone(sock):
    """True when the peer closed its side (EOF or reset pending)."""
    try:
        sock.setblocking(False)
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        finally:
            sock.setblocking(True)
            sock.settimeout(READ_TIMEOUT)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def respond(sock, status, body):
    reason = REASONS.get(status, "Status")
    data = body.encode()
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (status, reason, len(data))).encode()
    sock.sendall(head + data)


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        idx = next_index()
        rec = {"index": idx, "t_accept": time.time(), "time": None, "method": None, "path": None,
               "version": None, "status": None, "headers": [], "problems": [], "event": None,
               "tags": None, "pprof_path": None, "compression": None, "mode": "normal"}
        problems = rec["problems"]
        conn = Conn(sock)
        try:
            sock.settimeout(READ_TIMEOUT)
            self.serve(sock, conn, idx, rec, problems)
        except Exception as e:  # noqa: BLE001  never crash on garbage
            log("request %d: %s\n%s" % (idx, e, traceback.format_exc()))
            if rec["status"] is None and rec["mode"] != "reset":
                rec["time"] = time.time()
                if isinstance(e, EOFError) and rec["method"] is None and not conn.buf:
                    # connected and closed without a byte: not an upload
                    rec["mode"] = "empty"
                    record(rec)
                    return
                problems.append("request unreadable: %s: %s" % (type(e).__name__, e))
                rec["status"] = 400
                try:
                    record(rec)
                except Exception:  # noqa: BLE001
                    pass
                try:
                    respond(sock, 400, json.dumps({"problems": problems}))
                except Exception:  # noqa: BLE001
                    pass
        finally:
            try:
                sock.close()
            except Exception:  # noqa: BLE001
                pass

    def serve(self, sock, conn, idx, rec, problems):
        head = conn.read_until(b"\r\n\r\n", MAX_HEADER)
        lines = head[:-4].split(b"\r\n")
        req = lines[0].decode("latin-1")
        m = re.match(r"^([A-Z]+) (\S+) (HTTP/\d\.\d)$", req)
        if not m:
            raise ValueError("bad request line %r" % req[:100])
        rec["method"], target, rec["version"] = m.groups()
        rec["path"] = target
        headers = []
        for ln in lines[1:]:
            s = ln.decode("latin-1")
            if "\n" in s or "\r" in s:
                problems.append("header line with a bare CR or LF: %r" % s[:80])
            if s[:1] in (" ", "\t"):
                problems.append("obsolete folded header line %r" % s[:80])
                continue
            if ":" not in s:
                problems.append("malformed header line %r" % s[:80])
                continue
            k, v = s.split(":", 1)
            headers.append([k.strip(), v.strip()])
        rec["headers"] = headers

        if rec["method"] == "GET" and target == "/info":
            # hrprof doctor asks what the Agent serves; not an upload, not recorded
            # in requests.jsonl (counted in OUT/info.log).
            endpoints = ["/v0.4/traces", "/v0.7/config"]
            if not ARGS.info_no_profiling:
                endpoints.append("/profiling/v1/input")
            with open(os.path.join(ARGS.out, "info.log"), "a") as f:
                f.write("GET /info\n")
            respond(sock, 200, json.dumps({"version": "7.99.0-fake", "endpoints": endpoints}))
            return

        if idx == ARGS.slow_body_at:
            rec["mode"] = "slow"
            end = time.time() + ARGS.slow_body_secs
            while time.time() < end and len(conn.buf) < (1 << 20):
                try:
                    got = sock.recv(256)
                except (socket.timeout, OSError):
                    break
                if not got:
                    break
                conn.buf += got
                time.sleep(0.25)
            rec["slow_read"] = len(conn.buf)

        if idx < ARGS.reset_first:
            rec["mode"] = "reset"
            got = conn.read_some(1024)
            rec["time"] = time.time()
            rec["body_read_before_reset"] = len(got)
            record(rec)
            reset(sock)
            return

        body = b""
        te = hget(headers, "Transfer-Encoding")
        cl = hget(headers, "Content-Length")
        if te and "chunked" in te[0].lower():
            body = read_chunked(conn, problems)
        elif cl:
            try:
                n = int(cl[0])
                if n < 0 or n > MAX_BODY:
                    raise ValueError
            except ValueError:
                raise ValueError("bad Content-Length %r" % cl[0])
            try:
                body = conn.read_exact(n)
            except (EOFError, socket.timeout):
                problems.append("body shorter than Content-Length %d (got %d bytes)" % (n, len(conn.buf)))
                body, conn.buf = conn.buf, b""
            # Bytes already past the announced length: Content-Length too small.
            extra = conn.buf
            sock.settimeout(0.05)
            try:
                extra += sock.recv(65536)
            except (socket.timeout, BlockingIOError, OSError):
                pass
            sock.settimeout(READ_TIMEOUT)
            if extra:
                problems.append("%d bytes after the Content-Length body (Content-Length too small?)" % len(extra))
        rec["body_bytes"] = len(body)
        rec["time"] = time.time()
        with open(os.path.join(ARGS.out, "%03d.body" % idx), "wb") as f:
            f.write(body)
        try:
            check_request(rec, rec["method"], target, rec["version"], headers, body, problems)
        except Exception as e:  # noqa: BLE001
            log("request %d check: %s\n%s" % (idx, e, traceback.format_exc()))
            problems.append("body unparsable: %s: %s" % (type(e).__name__, e))

        # A client that gave up (its timeout) before the answer: the upload
        # did not happen as far as it knows, and it will send it again.
        if client_gone(sock):
            problems.append("the client closed the connection before the answer (it gave up)")

        if ARGS.status:
            rec["mode"], status = "status", ARGS.status
        elif idx < ARGS.fail_first:
            rec["mode"], status = "fail", ARGS.fail_status
        elif ARGS.fail_every and idx % ARGS.fail_every == ARGS.fail_every - 1 and idx != ARGS.slow_body_at:
            rec["mode"], status = "fail", ARGS.fail_status
        elif problems:
            status = 400
        else:
            status = 200
        delay = ARGS.delay if ARGS.delay and (ARGS.delay_first is None or idx < ARGS.delay_first) else 0
        if delay:
            rec["mode"] = "delayed" if rec["mode"] == "normal" else rec["mode"]
            rec["delay"] = delay
        rec["status"] = status
        # Recorded before answering: once the client has its answer, the
        # record is on disk.
        record(rec)
        if delay:
            time.sleep(delay)
        body = "{}" if 200 <= status < 300 and not problems else json.dumps({"problems": problems} if problems else {"error": "fake agent answers %d" % status})
        try:
            respond(sock, status, body)
        except OSError as e:
            log("request %d: answer %d not delivered: %s" % (idx, status, e))


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = 64


def serve_with_outages(srv, port):
    """Serves, closing the listening socket for --outage-for seconds every
    --outage-every seconds; handlers of requests already accepted go on."""
    while True:
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        time.sleep(ARGS.outage_every)
        srv.shutdown()
        srv.server_close()
        log("down for %.0f s" % ARGS.outage_for)
        time.sleep(ARGS.outage_for)
        while True:
            try:
                srv = TCPServer(("127.0.0.1", port), Handler)
                break
            except OSError as e:
                log("cannot listen again on %d: %s; retrying" % (port, e))
                time.sleep(0.5)
        log("up")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="fake Datadog Agent for hrprof's upload tests")
    ap.add_argument("--out", required=True)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--port", type=int)
    g.add_argument("--port-file")
    g.add_argument("--unix")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=500)
    ap.add_argument("--status", type=int)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--delay-first", type=int)
    ap.add_argument("--reset-first", type=int, default=0)
    ap.add_argument("--agentless", action="store_true")
    ap.add_argument("--info-no-profiling", action="store_true",
                    help="GET /info does not list /profiling/v1/input")
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--outage-every", type=float, default=0)
    ap.add_argument("--outage-for", type=float, default=30)
    ap.add_argument("--slow-body-at", type=int, default=-1)
    ap.add_argument("--slow-body-secs", type=float, default=0)
    ARGS = ap.parse_args()
    os.makedirs(ARGS.out, exist_ok=True)
    with open(os.path.join(ARGS.out, "requests.jsonl"), "a+") as f:
        f.seek(0)
        COUNTER[0] = sum(1 for _ in f)
    gotmp = tempfile.mkdtemp(prefix="fake-agent-go.")
    intake_check.ARGS = ARGS
    intake_check.GO_ENV = dict(os.environ, HOME=gotmp, GOCACHE=os.path.join(gotmp, "cache"),
                               GOFLAGS="-mod=mod", GOTOOLCHAIN="local", GOPROXY="off",
                               PPROF_TMPDIR=os.path.join(gotmp, "pprof"))
    if ARGS.unix:
        try:
            os.unlink(ARGS.unix)
        except FileNotFoundError:
            pass
        srv = UnixServer(ARGS.unix, Handler)
        where = "unix:" + ARGS.unix
    else:
        srv = TCPServer(("127.0.0.1", ARGS.port or 0), Handler)
        port = srv.server_address[1]
        where = "127.0.0.1:%d" % port
        for pf in filter(None, [ARGS.port_file, os.path.join(ARGS.out, "port")]):
            tmp = pf + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % port)
            os.rename(tmp, pf)
    with open(os.path.join(ARGS.out, "ready"), "w") as f:
        f.write(where + "\n")
    log("listening on %s (pid %d)" % (where, os.getpid()))
    try:
        if ARGS.outage_every > 0 and not ARGS.unix:
            serve_with_outages(srv, port)
        else:
            srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(gotmp, ignore_errors=True)
        if ARGS.unix:
            try:
                os.unlink(ARGS.unix)
            except OSError:
                pass


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    main()
