#!/usr/bin/env python3
"""The steps of bench/ceiling.sh (Python standard library only; loopback only).

    ceiling.py tenant ORIGIN ADMIN_TOKEN      creates a tenant (POST /admin/v1/tenants); prints its SCIM token
    ceiling.py measure TARGETS OPTIONS...     seeds, measures (interleaved), prints the lines and the tables

TARGETS is a tab-separated file, one server a line: `kind label rev base_url token`, kind
`product` (a SCIM base URL, .../scim/v2), `peer` (another SCIM server's base URL: the team's
peers, scim2-server and SCIMMY) or `ceiling` (the ceiling worker's origin).

The load comes from the team's driver, imported from SHARED_BENCH rather than copied: its `seed`
(POST /Users with 8 keep-alive connections) and `run_wrk` (wrk -t1 -cC with bench.lua, one
operation, a fixed request count or a time cap, whichever first). bench.py itself seeds on every
invocation and runs one server at a time, which is why this file drives it: each SCIM server is
seeded once, and run k of every target, operation and concurrency is done before run k+1 of any.

Two operations are this project's own, run by bench/pair.lua with wrk (one thread per
connection, so that a pair stays on its connection): `getpatch`, GET /Users/{id} then PATCH
/Users/{id} replacing `active` with the opposite of what the GET answered (the IdP's read, then
write), and on the ceiling worker `readinsert`, GET /d1/read/{n} then POST /d1/insert. Each
request of a pair is timed alone. The PATCH row of the goal table compares the two writes:
the mean latency of the ceiling's insert after its read ÷ the mean latency of the product's
PATCH after its GET, at the same number of connections. In a closed loop (C connections, each
sending when the last answer came) req/s = C ÷ mean latency, so this is the ratio of the two
writes' req/s inside their pairs, read as the other rows are: above 1, faster than the ceiling.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

PRODUCT_OPS = ["get", "filter", "list", "create", "patch", "getpatch"]
CEILING_OPS = ["d1read", "d1insert", "readinsert"]
PAIR_OPS = {"getpatch", "readinsert"}  # run by bench/pair.lua
PAIR_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pair.lua")
# The order within one run at one concurrency: each product operation is followed by the
# ceiling operation it is compared with, so that a ratio's two sides are measured minutes apart
# at most. "product" steps run on every SCIM server (the products and the peers).
SCHEDULE = [("product", "get"), ("ceiling", "d1read"), ("product", "filter"), ("product", "list"),
            ("product", "create"), ("ceiling", "d1insert"), ("product", "patch"),
            ("product", "getpatch"), ("ceiling", "readinsert")]
# The goal table: (operation, its name, how it is divided, the reference, today's goal).
# `rps`: median req/s ÷ the reference's median req/s. `write`: the reference's mean write
# latency ÷ this one's (both timed alone inside read-then-write pairs; see the docstring).
GOALS = [
    ("get", "get", "rps", ("ceiling", "d1read"), "of `d1read`", 0.9, "≥ 0.9"),
    ("filter", "filter `userName eq`", "rps", ("ceiling", "d1read"), "of `d1read`", 0.85, "≥ 0.85"),
    ("create", "create", "rps", ("ceiling", "d1insert"), "of `d1insert`", 0.8, "≥ 0.8"),
    ("getpatch", "PATCH `active` after a GET of the user", "write", ("ceiling", "readinsert"),
     "of `d1insert` after a `d1read`", 0.8, "≥ 0.8 when the IdP read the user first"),
    ("patch", "PATCH `active` alone", "rps", ("ceiling", "d1insert"), "of `d1insert`", None,
     "(the goal is the row above)"),
    ("list", "list, 100 a page", "rps", ("self", "get"), "of its own get", 0.6, "≥ 0.6"),
]
# Every SCIM server's operations relative to its own get (the peers' table).
OWN = [
    ("filter", "filter `userName eq`", "rps"),
    ("create", "create", "rps"),
    ("patch", "PATCH `active` alone", "rps"),
    ("getpatch", "PATCH `active` after a GET (get's mean latency ÷ the PATCH's)", "write"),
    ("list", "list, 100 a page", "rps"),
]


def die(msg):
    print(f"ceiling.py: {msg}", file=sys.stderr)
    sys.exit(2)


def loopback(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname != "127.0.0.1":
        die(f"loopback (http://127.0.0.1) only, not {url!r}")
    return u


def tenant(origin, admin_token):
    u = loopback(origin)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    body = json.dumps({"name": "Bench ceiling"})
    conn.request("POST", "/admin/v1/tenants", body=body, headers={
        "Authorization": f"Bearer {admin_token}", "Content-Type": "application/json",
        "Accept": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 201 and resp.status != 200:
        die(f"POST /admin/v1/tenants: {resp.status} {data[:300]!r}")
    t = json.loads(data)
    print(f"tenant {t['id']}", file=sys.stderr)
    print(t["token"])


def import_driver(shared):
    sys.dont_write_bytecode = True  # no __pycache__ in the shared directory
    sys.path.insert(0, shared)
    try:
        import bench as driver  # the team's bench.py
    except ImportError as e:
        die(f"cannot import bench.py from {shared}: {e}")
    for name in ("seed", "run_wrk", "LUA"):
        if not hasattr(driver, name):
            die(f"{shared}/bench.py has no `{name}`; this script was written against its seed() and run_wrk()")
    if not os.path.isfile(driver.LUA):
        die(f"{driver.LUA} is missing")
    return driver


def read_targets(path):
    out = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            kind, label, rev, url, token = line.rstrip("\n").split("\t")
            loopback(url)
            out.append({"kind": kind, "label": label, "rev": rev, "url": url, "token": token})
    if sum(t["kind"] == "ceiling" for t in out) != 1:
        die("exactly one ceiling target is expected")
    if any(t["kind"] not in ("product", "peer", "ceiling") for t in out):
        die("a target's kind is product, peer or ceiling")
    return out


def write_targets_files(t, users, workdir):
    """The files bench.lua reads round-robin, written as bench.py writes them."""
    files = {}
    slug = "".join(ch if ch.isalnum() else "_" for ch in t["label"])
    if t["kind"] != "ceiling":
        random.shuffle(users)
        files["ids"] = os.path.join(workdir, f"{slug}.ids")
        with open(files["ids"], "w") as f:
            f.writelines(f"{urllib.parse.quote(uid, safe='')}\n" for uid, _ in users)
        files["filters"] = os.path.join(workdir, f"{slug}.filters")
        with open(files["filters"], "w") as f:
            for _, name in users:
                f.write("filter=" + urllib.parse.quote(f'userName eq "{name}"', safe="") + "\n")
    else:
        files["rows"] = os.path.join(workdir, f"{slug}.rows")
        rows = list(range(1, 10001))  # the ceiling's seed.sql: ids 1..10,000
        random.shuffle(rows)
        with open(files["rows"], "w") as f:
            f.writelines(f"{i}\n" for i in rows)
    return files


TARGET_FILE = {"get": "ids", "patch": "ids", "getpatch": "ids", "filter": "filters", "d1read": "rows",
               "readinsert": "rows"}


def run_pair(url, token, op, conc, requests, cap, targets_file, wrk, workdir):
    """A read-then-write run of bench/pair.lua: requests ÷ 2 pairs (at least one per
    connection), wrk with one thread per connection. Returns bench.py's run_wrk record, with
    the pair's figures (pairs, read_*, write_*); p50_us/p99_us/mean_us are the write's."""
    env = dict(os.environ, BENCH_TOKEN=token or "")
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    pairs = max(conc, requests // 2)
    done_dir = tempfile.mkdtemp(prefix="pair-", dir=workdir)
    cmd = [wrk, f"-t{conc}", f"-c{conc}", f"-d{cap}s", "--timeout", "10s", "-s", PAIR_LUA, url,
           "--", op, str(pairs), targets_file, secrets.token_hex(4), done_dir, str(conc)]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap + 30)
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not stop"}
    finally:
        for f in os.listdir(done_dir):
            os.remove(os.path.join(done_dir, f))
        os.rmdir(done_dir)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            r = json.loads(line[6:])
            win = r["window_us"] or r["duration_us"]
            r["rps"] = r["requests"] / (win / 1e6) if win else 0.0
            r["pairs_per_s"] = r["pairs"] / (win / 1e6) if win else 0.0
            r["errors"] = r["check_errors"] + r["socket_errors"]
            r["capped"] = r["pairs"] < pairs
            return r
    return {"error": f"wrk rc={p.returncode}: {(p.stderr or p.stdout).strip()[:300]}"}


def measure(a):
    driver = import_driver(a.shared)
    targets = read_targets(a.targets)
    concs = [int(c) for c in a.conc.split(",") if c.strip()]
    if not concs or min(concs) < 1 or a.runs < 1 or a.requests < 1 or a.users < 1:
        die("CONC, RUNS, REQUESTS and USERS must be positive")
    products = [t for t in targets if t["kind"] == "product"]
    peers = [t for t in targets if t["kind"] == "peer"]
    scim = products + peers
    ceiling = next(t for t in targets if t["kind"] == "ceiling")
    jf = open(a.out, "a")

    def emit(obj):
        jf.write(json.dumps({"sitting": a.sitting, **obj}) + "\n")
        jf.flush()

    emit({"kind": "config", "runs": a.runs, "requests": a.requests, "conc": concs, "users": a.users,
          "cap": a.cap, "warmup": a.warmup, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
          "targets": [{"label": t["label"], "kind": t["kind"], "rev": t["rev"]} for t in targets]})

    # Seed each SCIM server once; every run of every operation reuses these users.
    files = {}
    for t in scim:
        started = time.monotonic()
        users, errs = driver.seed(t["url"], t["token"], a.users, 8, started + a.seed_timeout)
        took = time.monotonic() - started
        print(f"{t['label']}: seeded {len(users)}/{a.users} users in {took:.1f}s "
              f"({len(users) / took if took else 0:.0f}/s), {len(errs)} errors"
              + (f"; first: {errs[0]}" if errs else ""), flush=True)
        emit({"kind": "seed", "target": t["label"], "rev": t["rev"], "created": len(users),
              "wanted": a.users, "seconds": took, "errors": len(errs)})
        if not users:
            die(f"{t['label']}: seeding created no user")
        files[t["label"]] = write_targets_files(t, users, a.workdir)
    files[ceiling["label"]] = write_targets_files(ceiling, [], a.workdir)

    def ops_of(t):
        return CEILING_OPS if t["kind"] == "ceiling" else PRODUCT_OPS

    def run_one(t, op, c, requests):
        target_file = files[t["label"]].get(TARGET_FILE.get(op, ""))
        if op in PAIR_OPS:
            return run_pair(t["url"], t["token"], op, c, requests, a.cap, target_file, a.wrk, a.workdir)
        return driver.run_wrk(t["url"], t["token"], op, c, requests, a.cap, target_file, a.wrk)

    if a.warmup > 0:
        for t in targets:
            for op in ops_of(t):
                r = run_one(t, op, max(concs), a.warmup)
                if "error" in r or r["errors"]:
                    print(f"{t['label']} warm-up op={op}: {r.get('error') or r.get('first_error')}",
                          file=sys.stderr, flush=True)

    results = {}
    seq = 0
    total = a.runs * len(concs) * sum(1 for t in targets for _ in ops_of(t))
    for run in range(1, a.runs + 1):
        # The target order turns by one each run, so that no target is always measured first.
        k = (run - 1) % len(targets)
        order = targets[k:] + targets[:k]
        for c in concs:
            for kind, op in SCHEDULE:
                for t in order:
                    if (t["kind"] == "ceiling") != (kind == "ceiling"):
                        continue
                    seq += 1
                    at = time.time()
                    r = run_one(t, op, c, a.requests)
                    results.setdefault((t["label"], op, c), []).append(r)
                    emit({"kind": "run", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                          "run": run, "seq": seq, "at": at, **r})
                    if "error" in r:
                        msg = r["error"]
                    elif r["errors"]:
                        msg = f"{r['errors']} errors; first: {r.get('first_error', '')}"
                    else:
                        msg = ""
                    if msg:
                        print(f"{t['label']} run {run} op={op} c={c}: {msg}", file=sys.stderr, flush=True)
                    if a.progress:
                        rps = f"{r['rps']:.0f} req/s" if "error" not in r else "failed"
                        print(f"  [{seq}/{total}] run {run} {t['label']} {op} c={c}: {rps}",
                              file=sys.stderr, flush=True)

    print()
    print(textwrap.fill(
        f"Medians over {a.runs} run(s) of {a.requests} requests each (p50/p99 in ms, from wrk; for "
        f"getpatch and readinsert, {max(a.requests // 2, 1)} read-then-write pairs a run (at least one "
        "per connection), p50/p99 of the write timed alone, its mean, and the read's p50):", width=100))
    width = max(len(t["label"]) for t in targets)
    med = {}  # (label, op, c) -> {"rps", "mean_us", "write_mean_us", "pairs_per_s"}
    errored = set()
    for t in targets:
        for op in ops_of(t):
            for c in concs:
                all_rs = results.get((t["label"], op, c), [])
                rs = [r for r in all_rs if "error" not in r]
                if not rs:
                    why = all_rs[0]["error"] if all_rs else "not run"
                    print(f"{t['label']:<{width}} op={op:<10} c={c:<3} FAILED: {why}")
                    continue
                m = lambda key: statistics.median(r[key] for r in rs)
                errors = sum(r["errors"] for r in rs)
                capped = any(r["capped"] for r in rs)
                key = (t["label"], op, c)
                med[key] = {"rps": m("rps"), "mean_us": m("mean_us")}
                pair = op in PAIR_OPS
                if pair:
                    med[key].update(write_mean_us=m("write_mean_us"), pairs_per_s=m("pairs_per_s"))
                if errors or capped or len(rs) < len(all_rs):
                    errored.add(key)
                extra = (f"  pairs/s={m('pairs_per_s'):6.1f}  write mean_ms={m('write_mean_us') / 1e3:6.2f}  "
                         f"read p50_ms={m('read_p50_us') / 1e3:6.2f}") if pair else ""
                print(f"{t['label']:<{width}} op={op:<10} c={c:<3} rps={m('rps'):8.1f}  "
                      f"p50_ms={m('p50_us') / 1e3:7.2f}  p99_ms={m('p99_us') / 1e3:8.2f}  "
                      f"errors={errors}  n={int(m('requests'))}{extra}  ({len(rs)} runs: rps "
                      + "/".join(f"{r['rps']:.0f}" for r in rs) + ")"
                      + ("  CAPPED" if capped else "")
                      + (f"  ({len(all_rs) - len(rs)} failed)" if len(rs) < len(all_rs) else ""),
                      flush=True)
                emit({"kind": "summary", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                      "runs": len(rs), "rps": m("rps"), "p50_ms": m("p50_us") / 1e3,
                      "p99_ms": m("p99_us") / 1e3, "mean_ms": m("mean_us") / 1e3, "errors": errors,
                      "n": m("requests"), "capped": capped, "rps_runs": [r["rps"] for r in rs],
                      **({"pairs_per_s": m("pairs_per_s"), "write_mean_ms": m("write_mean_us") / 1e3,
                          "read_p50_ms": m("read_p50_us") / 1e3} if pair else {})})

    def ratio(num, den, how):
        """(value, text) of num ÷ den: req/s, or for `write` den's mean latency ÷ num's."""
        if num not in med or den not in med:
            return None, "n/a"
        if how == "rps":
            top, bottom = med[num]["rps"], med[den]["rps"]
        else:
            # the reference's latency: its write inside pairs, or its plain mean (own get)
            top = med[den].get("write_mean_us", med[den]["mean_us"])
            bottom = med[num]["write_mean_us"]
        if not bottom:
            return None, "n/a"
        v = top / bottom
        return v, f"{v:.2f}" + ("*" if num in errored or den in errored else "")

    def ref_key(t, ref, c):
        return (t["label"] if ref[0] == "self" else ceiling["label"], ref[1], c)

    cs = " / ".join(f"c={c}" for c in concs)
    for t in products:
        print()
        print(f"`{t['label']}` ({t['rev']}) against the ceiling worker, in this sitting "
              "(above 1: faster than the reference):")
        print()
        print("| operation | ratio to the ceiling | goal | meets it |")
        print("| --- | ---: | ---: | :---: |")
        for op, name, how, ref, of, goal, goal_text in GOALS:
            vals, cells = [], []
            for c in concs:
                v, cell = ratio((t["label"], op, c), ref_key(t, ref, c), how)
                vals.append(v)
                cells.append(cell)
                emit({"kind": "ratio", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                      "how": how, "ref_target": ref_key(t, ref, c)[0], "ref_op": ref[1], "ratio": v,
                      "goal": goal})
            meets = "" if goal is None else " / ".join(
                "n/a" if v is None else ("yes" if v >= goal else "no") for v in vals)
            print(f"| {name} ({cs}) | {' / '.join(cells)} {of} | {goal_text} | {meets} |")
        whole = []
        for c in concs:
            mine = med.get((t["label"], "getpatch", c), {}).get("pairs_per_s")
            theirs = med.get((ceiling["label"], "readinsert", c), {}).get("pairs_per_s")
            cell = ratio((t["label"], "getpatch", c), (ceiling["label"], "readinsert", c), "rps")[1]
            whole.append(f"c={c}: {cell} ({mine or 0:.0f} vs {theirs or 0:.0f} pairs/s)")
        print()
        print(textwrap.fill(
            "PATCH after a GET: each pair is GET /Users/{id}, then PATCH /Users/{id} setting `active` to the "
            "opposite of what the GET answered, on one keep-alive connection (C connections, one wrk "
            "thread each), against the ceiling's GET /d1/read/{n}, then POST /d1/insert. The ratio is "
            "the mean latency of the ceiling's insert ÷ the mean latency of the PATCH, each timed alone "
            "inside its pair: their req/s in a closed loop (C ÷ mean latency). Whole pairs, pairs/s ÷ "
            "the ceiling's: " + "; ".join(whole) + ".", width=100))
    if scim:
        print()
        print("Every SCIM server against its own get, in this sitting (the peers keep users in memory,")
        print("scim-edge in D1 under wrangler dev; above 1: faster than its own get):")
        print()
        print("| operation | " + " | ".join(f"{t['label']} ({cs})" for t in scim) + " |")
        print("| --- |" + " ---: |" * len(scim))
        row = []
        for t in scim:
            row.append(" / ".join(f"{med[(t['label'], 'get', c)]['rps']:.0f}"
                                  if (t["label"], "get", c) in med else "n/a" for c in concs))
        print("| get, req/s | " + " | ".join(row) + " |")
        for op, name, how in OWN:
            cells = []
            for t in scim:
                vals = []
                for c in concs:
                    v, cell = ratio((t["label"], op, c), (t["label"], "get", c), how)
                    vals.append(cell)
                    if t["kind"] == "peer":
                        emit({"kind": "ratio", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                              "how": how, "ref_target": t["label"], "ref_op": "get", "ratio": v})
                cells.append(" / ".join(vals))
            print(f"| {name} | " + " | ".join(cells) + " |")
    if len(products) > 1:
        base = products[0]
        print()
        print(f"The same operations, req/s relative to `{base['label']}` (same sitting; the PATCH "
              "after a GET by its mean latency):")
        print()
        print(f"| target | operation | {' | '.join(f'c={c}' for c in concs)} |")
        print("|---|---|" + "---:|" * len(concs))
        for t in products[1:]:
            for op, name, how, *_ in GOALS:
                cells = [ratio((t["label"], op, c), (base["label"], op, c), how)[1] for c in concs]
                print(f"| {t['label']} | {name} | " + " | ".join(cells) + " |")
    if errored:
        print()
        print("* one side had errors, a failed run or a capped run (see the lines above).")
    jf.close()


def main():
    # ceiling.sh stops this process with SIGTERM: leave through SystemExit, so that
    # subprocess.run kills the wrk it is waiting for.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if sys.argv[1:2] == ["tenant"] and len(sys.argv) == 4:
        tenant(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1:2] != ["measure"]:
        sys.exit(__doc__)
    ap = argparse.ArgumentParser(prog="ceiling.py measure")
    ap.add_argument("targets")
    ap.add_argument("--shared", required=True, help="the shared bench directory (bench.py, bench.lua)")
    ap.add_argument("--wrk", required=True)
    ap.add_argument("--out", required=True, help="JSON lines are appended here")
    ap.add_argument("--workdir", required=True, help="where the target files go")
    ap.add_argument("--sitting", default=time.strftime("%Y%m%d-%H%M%S"))
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--conc", default="1,8")
    ap.add_argument("--cap", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed-timeout", type=int, default=600)
    ap.add_argument("--progress", action="store_true", help="one line per wrk run on stderr")
    measure(ap.parse_args(sys.argv[2:]))


if __name__ == "__main__":
    main()
