#!/usr/bin/env python3
"""The steps of bench/ceiling.sh (Python standard library only; loopback only).

    ceiling.py tenant ORIGIN ADMIN_TOKEN      creates a tenant (POST /admin/v1/tenants); prints its SCIM token
    ceiling.py measure TARGETS OPTIONS...     seeds, measures (interleaved), prints the lines and the ratio table

TARGETS is a tab-separated file, one server a line: `kind label rev base_url token`, kind
`product` (a SCIM base URL, .../scim/v2) or `ceiling` (the ceiling worker's origin).

The load comes from the team's driver, imported from SHARED_BENCH rather than copied: its `seed`
(POST /Users with 8 keep-alive connections) and `run_wrk` (wrk -t1 -cC with bench.lua, one
operation, a fixed request count or a time cap, whichever first). bench.py itself seeds on every
invocation and runs one server at a time, which is why this file drives it: each product is
seeded once, and run k of every target, operation and concurrency is done before run k+1 of any.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import sys
import time
import urllib.parse

PRODUCT_OPS = ["get", "filter", "list", "create", "patch"]
CEILING_OPS = ["d1read", "d1insert"]
# The order within one run at one concurrency: each product operation is followed by the
# ceiling operation it is compared with, so that a ratio's two sides are measured minutes apart
# at most.
SCHEDULE = [("product", "get"), ("ceiling", "d1read"), ("product", "filter"), ("product", "list"),
            ("product", "create"), ("ceiling", "d1insert"), ("product", "patch")]
# (operation, its name in the table, what it is divided by: (kind of target, operation))
RATIOS = [
    ("get", "get", ("ceiling", "d1read")),
    ("filter", "filter `userName eq`", ("ceiling", "d1read")),
    ("create", "create", ("ceiling", "d1insert")),
    ("patch", "PATCH `active`", ("ceiling", "d1insert")),
    ("list", "list, 100 a page", ("self", "get")),
]
REF_NAME = {("ceiling", "d1read"): "ceiling `d1read`", ("ceiling", "d1insert"): "ceiling `d1insert`",
            ("self", "get"): "its own `get`"}


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
    return out


def write_targets_files(t, users, workdir):
    """The files bench.lua reads round-robin, written as bench.py writes them."""
    files = {}
    slug = "".join(ch if ch.isalnum() else "_" for ch in t["label"])
    if t["kind"] == "product":
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


TARGET_FILE = {"get": "ids", "patch": "ids", "filter": "filters", "d1read": "rows"}


def measure(a):
    driver = import_driver(a.shared)
    targets = read_targets(a.targets)
    concs = [int(c) for c in a.conc.split(",") if c.strip()]
    if not concs or min(concs) < 1 or a.runs < 1 or a.requests < 1 or a.users < 1:
        die("CONC, RUNS, REQUESTS and USERS must be positive")
    products = [t for t in targets if t["kind"] == "product"]
    ceiling = next(t for t in targets if t["kind"] == "ceiling")
    jf = open(a.out, "a")

    def emit(obj):
        jf.write(json.dumps({"sitting": a.sitting, **obj}) + "\n")
        jf.flush()

    emit({"kind": "config", "runs": a.runs, "requests": a.requests, "conc": concs, "users": a.users,
          "cap": a.cap, "warmup": a.warmup, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
          "targets": [{"label": t["label"], "kind": t["kind"], "rev": t["rev"]} for t in targets]})

    # Seed each product once; every run of every operation reuses these users.
    files = {}
    for t in products:
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
        return PRODUCT_OPS if t["kind"] == "product" else CEILING_OPS

    def run_one(t, op, c, requests):
        return driver.run_wrk(t["url"], t["token"], op, c, requests, a.cap,
                              files[t["label"]].get(TARGET_FILE.get(op, "")), a.wrk)

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
                    if t["kind"] != kind:
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
    print(f"Medians over {a.runs} run(s) of {a.requests} requests each (p50/p99 in ms, from wrk):")
    width = max(len(t["label"]) for t in targets)
    medians = {}
    errored = set()
    for t in targets:
        for op in ops_of(t):
            for c in concs:
                all_rs = results.get((t["label"], op, c), [])
                rs = [r for r in all_rs if "error" not in r]
                if not rs:
                    why = all_rs[0]["error"] if all_rs else "not run"
                    print(f"{t['label']:<{width}} op={op:<8} c={c:<3} FAILED: {why}")
                    continue
                med = lambda key: statistics.median(r[key] for r in rs)
                errors = sum(r["errors"] for r in rs)
                capped = any(r["capped"] for r in rs)
                medians[(t["label"], op, c)] = med("rps")
                if errors or capped or len(rs) < len(all_rs):
                    errored.add((t["label"], op, c))
                print(f"{t['label']:<{width}} op={op:<8} c={c:<3} rps={med('rps'):8.1f}  "
                      f"p50_ms={med('p50_us') / 1e3:7.2f}  p99_ms={med('p99_us') / 1e3:8.2f}  "
                      f"errors={errors}  n={int(med('requests'))}  ({len(rs)} runs: rps "
                      + "/".join(f"{r['rps']:.0f}" for r in rs) + ")"
                      + ("  CAPPED" if capped else "")
                      + (f"  ({len(all_rs) - len(rs)} failed)" if len(rs) < len(all_rs) else ""),
                      flush=True)
                emit({"kind": "summary", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                      "runs": len(rs), "rps": med("rps"), "p50_ms": med("p50_us") / 1e3,
                      "p99_ms": med("p99_us") / 1e3, "errors": errors, "n": med("requests"),
                      "capped": capped, "rps_runs": [r["rps"] for r in rs]})

    def ratio(num, den):
        if num not in medians or den not in medians or not medians[den]:
            return None, "n/a"
        v = medians[num] / medians[den]
        mark = "*" if num in errored or den in errored else ""
        return v, f"{v:.2f}{mark}"

    print()
    print("Ratios of median req/s measured in this sitting (above 1: faster than the reference):")
    print()
    cols = " | ".join(f"c={c}" for c in concs)
    print(f"| target | operation | ÷ req/s of | {cols} |")
    print("|---|---|---|" + "---:|" * len(concs))
    for t in products:
        for op, name, ref in RATIOS:
            cells = []
            for c in concs:
                den = (t["label"] if ref[0] == "self" else ceiling["label"], ref[1], c)
                v, cell = ratio((t["label"], op, c), den)
                cells.append(cell)
                emit({"kind": "ratio", "target": t["label"], "rev": t["rev"], "op": op, "c": c,
                      "ref_target": den[0], "ref_op": den[1], "ratio": v})
            print(f"| {t['label']} | {name} | {REF_NAME[ref]} | " + " | ".join(cells) + " |")
    if len(products) > 1:
        base = products[0]
        print()
        print(f"The same operations, req/s relative to `{base['label']}` (same sitting):")
        print()
        print(f"| target | operation | {cols} |")
        print("|---|---|" + "---:|" * len(concs))
        for t in products[1:]:
            for op, name, _ in RATIOS:
                cells = [ratio((t["label"], op, c), (base["label"], op, c))[1] for c in concs]
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
