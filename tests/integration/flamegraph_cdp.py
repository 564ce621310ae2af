#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Drives a flame graph page of `hrprof report --flamegraph` in headless
Chromium through the DevTools protocol, and prints what it measured as
key=value lines for tests/integration/flamegraph.sh to judge:

  flamegraph_cdp.py page HTML [--shot PNG] [--click NAME] [--search TEXT]
                    [--thread TEXT] [--process TEXT] [--names]

    load        type= unit= total= all= frames= (rendered frame elements)
    --shot      the page's screenshot saved; shot_colours= shot_ink= (percent
                of pixels not the background's colour)
    --click     real mouse events at the centre of the widest NAME frame;
                click_before= click_after= (its width), graph_width=,
                click_child_err= (largest difference in px between a child's
                width and child value / NAME value * graph width),
                click_children=, crumb_last=, crumbs_json= (the breadcrumb
                items' text, as JSON), click_stray= (see stray=); then the
                Reset button clicked: reset_width=
    --search    typed into the search box: match_frames= match_functions=
                match_value= match_total= highlighted= match_text=
    --thread, --process  the option whose text holds TEXT chosen:
                <kind>_option= <kind>_total= <kind>_all= (and match_value=
                again, under the filter)
    --names     names_json= the distinct frame names shown, as JSON;
                texts_json= the distinct text the frames show (the same
                names, when they are not made into markup); stray= the tags
                of elements under #graph and #crumbs other than the page's
                own (frames, the empty note, breadcrumb items), comma-separated,
                or none
    always, last: errors= (exceptions, console errors and failed asserts,
                log entries of level error, dialogs; each on stderr)
                requests= (network requests but the page's own)

  flamegraph_cdp.py hostile-pprof OUT
    writes a raw pprof file whose names are hostile to HTML and JSON.

Exit: 0 when it could measure, 1 otherwise (the judging is the test's).
Uses Debian's python3-websocket (run by /usr/bin/python3).
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

try:
    import websocket
except ImportError:
    websocket = None


class Cdp:
    """One page's DevTools connection: commands, and the events seen."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=20):
        end = time.time() + timeout
        for e in self.events:
            if e["method"] == method:
                return e
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg
        raise RuntimeError("no %s within %d s" % (method, timeout))

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %s: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def settle(self):
        self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def click(self, x, y):
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        self.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left",
                  buttons=1, clickCount=1)
        self.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left",
                  buttons=0, clickCount=1)
        self.settle()


def browser(profile_dir):
    """Starts headless Chromium; returns (process, the page's DevTools URL)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise RuntimeError("chromium not found")
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--mute-audio", "--hide-scrollbars", "--window-size=1280,900",
         "--remote-debugging-port=0", "--user-data-dir=" + profile_dir, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile_dir, "..", "chromium.log"), "w"))
    port_file = os.path.join(profile_dir, "DevToolsActivePort")
    end = time.time() + 30
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("chromium exited %d" % proc.returncode)
        try:
            port = int(open(port_file).readline())
            targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                                       timeout=5))
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return proc, pages[0]["webSocketDebuggerUrl"]
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chromium gave no DevTools port within 30 s")


def png_pixels(data):
    """Decodes an 8-bit RGB/RGBA PNG (what captureScreenshot writes) into a
    list of pixel tuples."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    i, idat, w = 8, b"", 0
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = (int.from_bytes(body[0:4], "big"),
                                  int.from_bytes(body[4:8], "big"), body[8], body[9])
            if depth != 8 or ctype not in (2, 6) or body[12]:
                raise ValueError("PNG depth %d colour type %d not handled" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    raw, stride, prev, px = zlib.decompress(idat), w * bpp, None, []
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        prev = prev or bytearray(stride)
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                row[x] = (row[x] + a) & 255
            elif f == 2:
                row[x] = (row[x] + b) & 255
            elif f == 3:
                row[x] = (row[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        px.extend(bytes(row[x:x + 3]) for x in range(0, stride, bpp))
        prev = row
    return px


RECT = """(el => { const r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, left: r.left}; })"""

# The widest frame named NAME that is not a dimmed caller above the zoom.
WIDEST = """(name => { let best = null;
    for (const el of document.querySelectorAll('#graph .frame:not(.ancestor)'))
        if (el.dataset.name === name && (!best || el.getBoundingClientRect().width >
                                          best.getBoundingClientRect().width)) best = el;
    return best; })"""


# Elements under #graph and #crumbs that the page does not make itself: what
# a name set as markup (innerHTML) would add.
STRAY = """Array.from(document.querySelectorAll(
    '#graph > :not(.frame):not(#empty), #graph > * *, ' +
    '#crumbs > :not(a):not(span), #crumbs > * *')).map(e => e.tagName).join(',') || 'none'"""


def out(key, value):
    print("%s=%s" % (key, value))
    sys.stdout.flush()


def page(args):
    work = tempfile.mkdtemp(prefix="hrprof-cdp.")
    os.mkdir(os.path.join(work, "profile"))
    proc = None
    try:
        proc, url = browser(os.path.join(work, "profile"))
        cdp = Cdp(url)
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.call(domain + ".enable")
        page_url = "file://" + os.path.abspath(args.html)
        cdp.call("Page.navigate", url=page_url)
        cdp.wait_event("Page.loadEventFired")
        cdp.js("new Promise((res, rej) => { let n = 0; const t = setInterval(() => {"
               " if (document.body.dataset.ready) { clearInterval(t); res(); }"
               " else if (++n > 100) { clearInterval(t); rej('page not ready'); } }, 50); })")
        cdp.settle()
        info = cdp.js("""({type: JSON.parse(document.getElementById('profile-data').textContent).type,
            unit: JSON.parse(document.getElementById('profile-data').textContent).unit,
            total: document.getElementById('total').dataset.value,
            all: document.getElementById('total').dataset.all,
            frames: document.querySelectorAll('#graph .frame').length})""")
        for k in ("type", "unit", "total", "all", "frames"):
            out(k, info[k])
        if args.shot:
            shot = base64.b64decode(cdp.call("Page.captureScreenshot", format="png")["data"])
            with open(args.shot, "wb") as f:
                f.write(shot)
            px = png_pixels(shot)
            counts = {}
            for p in px:
                counts[p] = counts.get(p, 0) + 1
            bg = max(counts.values())
            out("shot_colours", len(counts))
            out("shot_ink", "%.1f" % (100.0 * (len(px) - bg) / len(px)))
        if args.click:
            name = json.dumps(args.click)
            before = cdp.js("(() => { const el = %s(%s); return el && %s(el); })()"
                            % (WIDEST, name, RECT))
            if not before:
                raise RuntimeError("no frame named %s" % args.click)
            out("click_before", "%.2f" % before["w"])
            cdp.click(before["x"], before["y"])
            after = cdp.js("""(() => {
                const el = %s(%s), r = el.getBoundingClientRect(), d = +el.dataset.depth;
                const v = +el.dataset.value, g = document.getElementById('graph').clientWidth;
                let err = 0, n = 0;
                for (const c of document.querySelectorAll('#graph .frame:not(.ancestor)')) {
                    if (+c.dataset.depth !== d + 1) continue;
                    n++;
                    err = Math.max(err, Math.abs(c.getBoundingClientRect().width -
                                                 (+c.dataset.value) / v * g));
                }
                const crumbs = document.querySelectorAll('#crumbs > :not(.sep)');
                return {w: r.width, left: r.left - document.getElementById('graph')
                        .getBoundingClientRect().left, g: g, err: err, n: n,
                        crumb: crumbs[crumbs.length - 1].textContent,
                        crumbs: Array.from(crumbs).map(c => c.textContent), stray: %s};
            })()""" % (WIDEST, name, STRAY))
            out("click_after", "%.2f" % after["w"])
            out("click_left", "%.2f" % after["left"])
            out("graph_width", after["g"])
            out("click_child_err", "%.3f" % after["err"])
            out("click_children", after["n"])
            out("crumb_last", after["crumb"])
            out("crumbs_json", json.dumps(after["crumbs"]))
            out("click_stray", after["stray"])
            reset = cdp.js("%s(document.getElementById('reset'))" % RECT)
            cdp.click(reset["x"], reset["y"])
            out("reset_width", "%.2f" % cdp.js("(() => { const el = %s(%s); return el ? "
                                                "el.getBoundingClientRect().width : -1; })()"
                                                % (WIDEST, name)))
        if args.search:
            box = cdp.js("%s(document.getElementById('search'))" % RECT)
            cdp.click(box["x"], box["y"])
            cdp.call("Input.insertText", text=args.search)
            cdp.settle()
            m = cdp.js("""(() => { const m = document.getElementById('matches');
                return {hidden: m.hidden, frames: m.dataset.frames, functions: m.dataset.functions,
                        value: m.dataset.value, total: m.dataset.total, text: m.textContent,
                        hl: document.querySelectorAll('#graph .frame.match').length}; })()""")
            if m["hidden"]:
                raise RuntimeError("the match count is hidden after searching")
            for k in ("frames", "functions", "value", "total"):
                out("match_" + k, m[k])
            out("highlighted", m["hl"])
            out("match_text", m["text"])
        for kind, want in (("thread", args.thread), ("process", args.process)):
            if want is None:
                continue
            r = cdp.js("""(() => { const s = document.getElementById(%s);
                const o = Array.from(s.options).find(o => o.value !== 'all' &&
                                                         o.textContent.includes(%s));
                if (!o) return null;
                s.value = o.value; s.dispatchEvent(new Event('change'));
                return o.textContent; })()""" % (json.dumps(kind), json.dumps(want)))
            if r is None:
                raise RuntimeError("no %s option with %s: %s" % (kind, want, cdp.js(
                    "Array.from(document.getElementById(%s).options).map(o => o.textContent)"
                    % json.dumps(kind))))
            cdp.settle()
            out(kind + "_option", r)
            t = cdp.js("(() => { const t = document.getElementById('total'), "
                       "m = document.getElementById('matches'); return {total: t.dataset.value, "
                       "all: t.dataset.all, mv: m.hidden ? '' : m.dataset.value}; })()")
            out(kind + "_total", t["total"])
            out(kind + "_all", t["all"])
            out(kind + "_match_value", t["mv"])
        if args.names:
            out("names_json", json.dumps(cdp.js(
                "Array.from(new Set(Array.from(document.querySelectorAll('#graph .frame'))"
                ".map(e => e.dataset.name)))")))
            out("texts_json", json.dumps(cdp.js(
                "Array.from(new Set(Array.from(document.querySelectorAll('#graph .frame'))"
                ".map(e => e.textContent).filter(t => t)))")))
            out("stray", cdp.js(STRAY))
        # Everything that went wrong on the page, and every request but its own.
        errors, requests = [], []
        try:
            while True:
                cdp.ws.settimeout(0.3)
                msg = json.loads(cdp.ws.recv())
                if "method" in msg:
                    cdp.events.append(msg)
        except websocket.WebSocketTimeoutException:
            pass
        for e in cdp.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                errors.append("exception: %s" % p["exceptionDetails"].get("exception", {})
                              .get("description", p["exceptionDetails"].get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description"))) for a in p.get("args", []))))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                errors.append("log %s: %s" % (p["entry"]["level"], p["entry"].get("text")))
            elif m == "Page.javascriptDialogOpening":
                errors.append("dialog: %s" % p.get("message"))
            elif m == "Network.requestWillBeSent" and p["request"]["url"] != page_url:
                requests.append(p["request"]["url"])
        for e in errors:
            print("page error: " + e, file=sys.stderr)
        for r in requests:
            print("page request: " + r, file=sys.stderr)
        out("errors", len(errors))
        out("requests", len(requests))
        return 0
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def hostile_pprof(path):
    """A raw pprof file: names with markup, quotes, a control byte and
    invalid UTF-8; an inlined frame (two lines in one location); labels."""
    def varint(n):
        b = bytearray()
        while True:
            if n < 0x80:
                b.append(n)
                return bytes(b)
            b.append((n & 0x7F) | 0x80)
            n >>= 7

    def field(num, v):
        if isinstance(v, int):
            return varint(num << 3) + varint(v)
        return varint(num << 3 | 2) + varint(len(v)) + v

    def msg(*fs):
        return b"".join(field(n, v) for n, v in fs)

    strings = [b"", b"samples", b"count", b"main\"q'\\", b"outer</script><script>alert(1)</script>",
               b"inner&amp;<b>x</b>\x01\xff\xfe\xe2\x80\xa8", b"thread_name", b"<i>thr</i>",
               b"thread id"]
    prof = msg((1, msg((1, 1), (2, 2))))
    for fid in (1, 2, 3):
        prof += field(5, msg((1, fid), (2, fid + 2)))
    # Location 1: inner inlined into outer; location 2: main.
    prof += field(4, msg((1, 1), (4, msg((1, 3))), (4, msg((1, 2)))))
    prof += field(4, msg((1, 2), (4, msg((1, 1)))))
    prof += field(2, msg((1, 1), (1, 2), (2, 5), (3, msg((1, 6), (2, 7))), (3, msg((1, 8), (3, 7)))))
    prof += field(2, msg((1, 2), (2, 3)))
    prof += field(2, msg((1, 2), (2, 0)))
    for s in strings:
        prof += field(6, s)
    with open(path, "wb") as f:
        f.write(prof)
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "hostile-pprof":
        return hostile_pprof(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["page"])
    ap.add_argument("html")
    ap.add_argument("--shot")
    ap.add_argument("--click")
    ap.add_argument("--search")
    ap.add_argument("--thread")
    ap.add_argument("--process")
    ap.add_argument("--names", action="store_true")
    args = ap.parse_args()
    if websocket is None:
        print("python3-websocket is not installed", file=sys.stderr)
        return 1
    try:
        return page(args)
    except Exception as e:  # one line for the test's failure message
        print("flamegraph_cdp: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
