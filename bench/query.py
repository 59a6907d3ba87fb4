#!/usr/bin/env python3
"""The steps of bench/query.sh (Python standard library only; loopback only).

    query.py tenants ORIGIN ADMIN_TOKEN SIZES   creates one tenant per size; prints their JSON
    query.py measure ORIGIN TENANTS_JSON        prints the latency table

Between the two, examples/seed.rs fills each tenant of the JSON with `size` users, written by
the application itself: `POST /Users` with a body such as
    {"userName": "user7@example.com", "externalId": "ext-7", "active": true,
     "name": {"givenName": "Given7", "familyName": "Family7"}, "displayName": "Given7 Family7",
     "emails": [{"value": "user7@example.com", "type": "work", "primary": true}]}
(one in ten inactive; family names Family<i mod 1000>). `measure` relies on those names.
"""

import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse


def loopback(origin):
    url = urllib.parse.urlsplit(origin)
    if url.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"query.py talks to loopback only, not {origin}")
    return url.hostname, url.port


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status} {payload[:300]!r}")
    return json.loads(payload) if payload else None, elapsed


def tenants(origin, admin_token, sizes):
    conn = http.client.HTTPConnection(*loopback(origin), timeout=120)
    out = []
    for size in [int(s) for s in sizes.split(",") if s]:
        body, _ = request(conn, "POST", "/admin/v1/tenants", admin_token, {"name": f"Bench {size}"})
        out.append({"size": size, "tenant_id": body["id"], "token_id": body["token_id"], "token": body["token"]})
    print(json.dumps(out))


def percentile(samples, p):
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def timings(samples):
    return f"{statistics.median(samples):.1f} / {percentile(samples, 99):.1f}"


def users_path(**params):
    return "/scim/v2/Users?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def measure(origin, tenants_file):
    with open(tenants_file) as f:
        tenants = json.load(f)
    conn = http.client.HTTPConnection(*loopback(origin), timeout=300)
    rng = random.Random(7)
    rows = []
    for t in tenants:
        size, token = int(t["size"]), t["token"]
        get = lambda path: request(conn, "GET", path, token)
        # Warm up (the worker's first requests compile and open the database).
        for _ in range(5):
            get(users_path(count=1))

        eq = []
        for _ in range(300):
            body, ms = get(users_path(filter=f'userName eq "user{rng.randint(1, size)}@example.com"'))
            assert body["totalResults"] == 1, body
            eq.append(ms)

        co = []
        for _ in range(30 if size >= 100000 else 50):
            body, ms = get(users_path(filter='name.familyName co "99"', count=100))
            assert body["totalResults"] > 0, body
            co.append(ms)

        end = []
        for _ in range(30 if size >= 100000 else 50):
            body, ms = get(users_path(startIndex=size - 99, count=100))
            assert len(body["Resources"]) == 100, body["itemsPerPage"]
            end.append(ms)

        walk, seen, cursor = [], set(), ""
        started = time.perf_counter()
        while True:
            body, ms = get(users_path(cursor=cursor, count=200))
            walk.append(ms)
            seen.update(r["id"] for r in body["Resources"])
            cursor = body.get("nextCursor")
            if not cursor:
                break
        total_s = time.perf_counter() - started
        assert len(seen) == size, (len(seen), size)
        rows.append((size, timings(eq), timings(co), timings(end), f"{len(walk)} pages: {timings(walk)}; {total_s:.1f} s"))

    print()
    print("Latency in ms, p50 / p99, one client on loopback against `wrangler dev` (workerd, local D1):")
    print()
    print("| users in the tenant | `userName eq` | `name.familyName co \"99\"` (count=100) | `startIndex` = last 100 | cursor walk, 200 a page: per page; whole walk |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r[0]:,} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |")


def main():
    args = sys.argv[1:]
    if args[:1] == ["tenants"] and len(args) == 4:
        tenants(*args[1:])
    elif args[:1] == ["measure"] and len(args) == 3:
        measure(*args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
