#!/usr/bin/env python3
"""Crash consistency (issue 13), the client side of scripts/crash.sh. Standard library only.

  burst  ORIGIN ADMIN_TOKEN PGID RECORD SEED   a tenant, 10 users, then a burst of concurrent creates
                                               and PATCHes; SIGKILL to the process group PGID (the
                                               runtime: wrangler and workerd) in the middle of it;
                                               every request and its outcome written to RECORD
  api    ORIGIN RECORD                         after the restart on the same D1: every acknowledged
                                               write is served, and the worker takes new writes
  db     SQLITE_FILE RECORD                    with the worker stopped: the rows of every write are
                                               all there or none is, and every acknowledged write's
                                               are there
  selftest SQLITE_FILE RECORD                  the db check on damaged copies of the database: each
                                               damage must be found (a check that cannot fail proves
                                               nothing)

Each write is marked so that its rows can be found whether or not its answer arrived: a create
by its userName, a PATCH by the unique email it adds (or, for an activation change, by the
count of them), and every write's activity-log entry by its `client` (the request's User-Agent,
`crash/<marker>`), since the server's request id of an unanswered write is unknown.
"""

import http.client
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse

THREADS = 8
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def conn_for(origin):
    u = urllib.parse.urlsplit(origin)
    assert u.hostname in ("127.0.0.1", "localhost"), origin
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def request(conn, method, path, token, body=None, client="crash/setup"):
    headers = {"Authorization": f"Bearer {token}", "User-Agent": client}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/scim+json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    text = r.read().decode("utf-8", "replace")
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), text


def user_body(name):
    return {
        "schemas": [CORE],
        "userName": name,
        "name": {"givenName": "Crash", "familyName": name.split("@")[0]},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }


def burst(origin, admin_token, pgid, record_path, seed):
    rnd = random.Random(seed)
    conn = conn_for(origin)
    st, _, text = request(conn, "POST", "/admin/v1/tenants", admin_token, {"name": f"Crash {seed}"})
    assert st == 201, (st, text)
    tenant = json.loads(text)
    token = tenant["token"]
    # Users every thread may PATCH, acknowledged before the burst.
    base = []
    for i in range(10):
        name = f"base{i}@crash.test"
        st, h, text = request(conn, "POST", "/scim/v2/Users", token, user_body(name), f"crash/{name}")
        assert st == 201, (st, text)
        base.append({"kind": "create", "marker": name, "status": st, "id": json.loads(text)["id"],
                     "request_id": h.get("x-request-id")})
    conn.close()

    writes = []  # every write of the burst: kind, marker, user, outcome
    lock = threading.Lock()
    acked = [0]
    stop = threading.Event()
    kill_after = rnd.randint(40, 160)  # acknowledged writes of the burst before the kill

    def worker(t):
        r = random.Random(seed * 100 + t)
        c = conn_for(origin)
        mine = []  # users this thread created (acknowledged)
        seq = 0
        while True:
            seq += 1
            choice = r.random()
            targets = [b["id"] for b in base] + mine
            if choice < 0.5:
                marker = f"t{t}-{seq}@crash.test"
                w = {"kind": "create", "marker": marker}
                method, path, body = "POST", "/scim/v2/Users", user_body(marker)
            elif choice < 0.85:
                marker = f"p{t}-{seq}@crash.test"
                user = r.choice(targets)
                w = {"kind": "patch", "marker": marker, "user": user}
                method, path = "PATCH", f"/scim/v2/Users/{user}"
                body = {"schemas": [PATCH_OP], "Operations": [
                    {"op": "add", "path": "emails", "value": [{"value": marker, "type": "other"}]},
                    {"op": "replace", "path": "title", "value": marker}]}
            else:
                marker = f"a{t}-{seq}"
                user = r.choice(targets)
                w = {"kind": "activation", "marker": marker, "user": user}
                method, path = "PATCH", f"/scim/v2/Users/{user}"
                body = {"schemas": [PATCH_OP], "Operations": [
                    {"op": "replace", "value": {"active": r.random() < 0.5}}]}
            try:
                st, h, text = request(c, method, path, token, body, f"crash/{marker}")
            except Exception as e:  # the runtime is gone: this write has no answer
                w["status"] = None
                w["error"] = type(e).__name__
                with lock:
                    writes.append(w)
                return
            w["status"] = st
            w["request_id"] = h.get("x-request-id")
            if 200 <= st < 300:
                if w["kind"] == "create":
                    w["id"] = json.loads(text)["id"]
                    mine.append(w["id"])
                elif w["kind"] == "activation":
                    w["active"] = json.loads(text).get("active")
            with lock:
                writes.append(w)
                if 200 <= st < 300:
                    acked[0] += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    started = time.monotonic()
    for th in threads:
        th.start()
    while True:
        with lock:
            n = acked[0]
        if n >= kill_after:
            break
        if time.monotonic() - started > 120:
            print("the burst made no progress for 120 s", file=sys.stderr)
            break
        time.sleep(0.005)
    with lock:
        in_flight_at_kill = sum(1 for th in threads if th.is_alive())
    os.killpg(pgid, signal.SIGKILL)
    killed_at = time.monotonic() - started
    stop.set()
    for th in threads:
        th.join(60)
    # The whole group is gone (wrangler, workerd and anything else they started).
    for _ in range(50):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise SystemExit(f"process group {pgid} still alive after SIGKILL")
    record = {"tenant": tenant["id"], "token": token, "base": base, "writes": writes,
              "killed_after_acked": kill_after, "killed_at_s": round(killed_at, 2)}
    with open(record_path, "w") as f:
        json.dump(record, f)
    by = {}
    for w in writes:
        key = "no answer" if w["status"] is None else str(w["status"])
        by[key] = by.get(key, 0) + 1
    print(f"burst (seed {seed}): {len(writes)} writes from {THREADS} threads, killed after {killed_at:.2f} s "
          f"({in_flight_at_kill} threads in flight); answers: {json.dumps(by, sort_keys=True)}")


def acked(w):
    return w["status"] is not None and 200 <= w["status"] < 300


def check_api(origin, record_path):
    rec = json.load(open(record_path))
    token = rec["token"]
    conn = conn_for(origin)
    problems = []
    users = {}
    for w in rec["base"] + [w for w in rec["writes"] if acked(w) and w["kind"] == "create"]:
        st, _, text = request(conn, "GET", f"/scim/v2/Users/{w['id']}", token)
        if st != 200:
            problems.append(f"acknowledged create {w['marker']} ({w['id']}): GET answered {st}")
            continue
        users[w["id"]] = json.loads(text)
        if users[w["id"]]["userName"] != w["marker"]:
            problems.append(f"user {w['id']}: userName {users[w['id']]['userName']!r}, sent {w['marker']!r}")
    for w in rec["writes"]:
        if acked(w) and w["kind"] == "patch":
            u = users.get(w["user"])
            if u is None:
                st, _, text = request(conn, "GET", f"/scim/v2/Users/{w['user']}", token)
                u = json.loads(text) if st == 200 else {}
                users[w["user"]] = u
            if w["marker"] not in [e.get("value") for e in u.get("emails", [])]:
                problems.append(f"acknowledged PATCH {w['marker']} of {w['user']}: its email is not served")
    # The restarted worker takes new writes.
    st, _, text = request(conn, "POST", "/scim/v2/Users", token, user_body("after-restart@crash.test"),
                          "crash/after-restart@crash.test")
    if st != 201:
        problems.append(f"a create after the restart answered {st}: {text[:200]}")
    report(problems, f"api: {len(users)} users served after the restart")


def check_db(sqlite_file, record_path):
    problems, summary = db_problems(sqlite_file, json.load(open(record_path)))
    report(problems, summary)


def db_problems(sqlite_file, rec):
    tenant = rec["tenant"]
    db = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    q = lambda sql, *args: db.execute(sql, args).fetchall()
    problems = []

    users = {r["id"]: r for r in q("SELECT * FROM users WHERE tenant_id = ?", tenant)}
    resources = {uid: json.loads(r["resource"]) for uid, r in users.items()}
    events = q("SELECT * FROM activity WHERE tenant_id = ?", tenant)
    ok_events = [e for e in events if 200 <= e["status"] < 300]
    by_client = {}
    for e in ok_events:
        by_client.setdefault(e["client"], []).append(e)
    emails = q("SELECT * FROM user_emails WHERE tenant_id = ?", tenant)
    activation = q("SELECT * FROM activation WHERE tenant_id = ? ORDER BY seq", tenant)

    # 1. Rows never without their user, users never without their creation entry and history.
    for e in emails:
        if e["user_id"] not in users:
            problems.append(f"an email row {e['value']!r} of user {e['user_id']}, who does not exist")
    for a in activation:
        if a["user_id"] not in users:
            problems.append(f"an activation row ({a['kind']}) of user {a['user_id']}, who does not exist")
    for e in ok_events:
        if e["user_id"] and e["user_id"] not in users and e["user_id"] != "":
            problems.append(f"a {e['operation']} entry ({e['client']}) of user {e['user_id']}, who does not exist")
    for uid, u in users.items():
        creates = [e for e in ok_events if e["user_id"] == uid and e["operation"] == "create"]
        if len(creates) != 1:
            problems.append(f"user {u['user_name']}: {len(creates)} create entries")
        hist = [a for a in activation if a["user_id"] == uid]
        if not hist or hist[0]["kind"] != "create" or sum(a["kind"] == "create" for a in hist) != 1:
            problems.append(f"user {u['user_name']}: activation history {[a['kind'] for a in hist]}")
        elif hist[-1]["active"] != u["active"]:
            problems.append(f"user {u['user_name']}: active {u['active']}, its last activation row {hist[-1]['active']}")
        # Activation changes and their entries, one for one.
        changes = sum(a["kind"] in ("deactivate", "reactivate") for a in hist)
        entries = sum(1 for e in ok_events if e["user_id"] == uid and e["operation"] in ("deactivate", "reactivate"))
        if changes != entries:
            problems.append(f"user {u['user_name']}: {changes} activation changes, {entries} entries of them")
        # The email rows are the resource's emails.
        doc_emails = sorted(e.get("value") for e in resources[uid].get("emails", []))
        row_emails = sorted(e["value"] for e in emails if e["user_id"] == uid)
        if doc_emails != row_emails:
            problems.append(f"user {u['user_name']}: emails {doc_emails} in the resource, rows {row_emails}")

    # 2. Each write whole or absent; acknowledged ones present; refused ones absent.
    names = {u["user_name"]: uid for uid, u in users.items()}
    patch_markers = {}
    for uid, doc in resources.items():
        for e in doc.get("emails", []):
            patch_markers[e.get("value")] = uid
    outcomes = {"present": 0, "absent": 0}
    for w in rec["base"] + rec["writes"]:
        entries = by_client.get(f"crash/{w['marker']}", [])
        if w["kind"] == "create":
            present = w["marker"] in names
            whole = present == (len(entries) == 1) and len(entries) <= 1
            if present and entries and entries[0]["user_id"] != names[w["marker"]]:
                whole = False
        elif w["kind"] == "patch":
            present = patch_markers.get(w["marker"]) == w["user"]
            whole = present == (len(entries) == 1) and len(entries) <= 1
            if present and resources[w["user"]].get("title") is None:
                whole = False
        else:  # activation: an entry only when it changed something; rows checked above
            present = len(entries) == 1
            whole = len(entries) <= 1
        if not whole:
            problems.append(f"{w['kind']} {w['marker']} (answer {w['status']}): half-present "
                            f"(data {'there' if present else 'missing'}, {len(entries)} successful entries)")
        if acked(w) and w["kind"] != "activation" and not present:
            problems.append(f"acknowledged {w['kind']} {w['marker']} ({w['status']}) is missing")
        if acked(w) and w.get("request_id"):
            if not any(e["request_id"] == w["request_id"] for e in entries):
                problems.append(f"acknowledged {w['kind']} {w['marker']}: no entry with its request id {w['request_id']}")
        if w["status"] is not None and not acked(w) and present:
            problems.append(f"refused {w['kind']} {w['marker']} ({w['status']}) is present")
        if w["status"] is None:
            outcomes["present" if present else "absent"] += 1

    # 3. The tenant's usage is exact.
    t = q("SELECT employees, stored_bytes FROM tenants WHERE id = ?", tenant)[0]
    size = sum(u["size"] for u in users.values())
    if t["employees"] != len(users) or t["stored_bytes"] != size:
        problems.append(f"usage says {t['employees']} employees, {t['stored_bytes']} bytes; "
                        f"the rows {len(users)}, {size}")
    db.close()
    return problems, (f"db: {len(users)} users, {len(events)} entries, {len(emails)} email rows; "
                      f"unanswered writes: {outcomes['present']} committed whole, {outcomes['absent']} absent")


def selftest(sqlite_file, record_path):
    """The db check must see a damaged database: each tampering below, on a copy, is found."""
    import shutil
    import tempfile
    rec = json.load(open(record_path))
    create = next(w for w in rec["base"])
    patch = next((w for w in rec["writes"] if acked(w) and w["kind"] == "patch"), None)
    tamperings = [
        ("an acknowledged create without its activity entry",
         "DELETE FROM activity WHERE request_id = ?", (create["request_id"],)),
        ("a user row gone, its history and emails left",
         "DELETE FROM users WHERE id = ?", (create["id"],)),
        ("an email row gone",
         "DELETE FROM user_emails WHERE user_id = ? AND value = ?", (create["id"], create["marker"])),
        ("an email row of nobody",
         "INSERT INTO user_emails (tenant_id, user_id, position, value, value_fold, type_fold, is_primary) "
         "VALUES (?, 'usr_nobody', 0, 'x@crash.test', 'x@crash.test', 'work', 0)", (rec["tenant"],)),
        ("usage off by one",
         "UPDATE tenants SET employees = employees + 1 WHERE id = ?", (rec["tenant"],)),
    ]
    if patch:
        tamperings.append(("an acknowledged PATCH without its activity entry",
                           "DELETE FROM activity WHERE request_id = ?", (patch["request_id"],)))
    with tempfile.TemporaryDirectory() as tmp:
        for what, sql, args in tamperings:
            copy = os.path.join(tmp, "d1.sqlite")
            shutil.copyfile(sqlite_file, copy)
            c = sqlite3.connect(copy)
            changed = c.execute(sql, args).rowcount
            c.commit()
            c.close()
            problems, _ = db_problems(copy, rec)
            if changed != 1 or not problems:
                raise SystemExit(f"selftest: the db check did not see {what} (rows changed: {changed})")
    print(f"selftest: the db check found each of {len(tamperings)} tamperings of a copy")


def report(problems, summary):
    print(summary)
    if problems:
        for p in problems[:40]:
            print(f"  INCONSISTENT: {p}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "burst":
        burst(args[0], args[1], int(args[2]), args[3], int(args[4]))
    elif cmd == "api":
        check_api(args[0], args[1])
    elif cmd == "db":
        check_db(args[0], args[1])
    elif cmd == "selftest":
        selftest(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {cmd}")
