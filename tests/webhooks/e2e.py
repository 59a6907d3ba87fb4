"""Webhook delivery end to end (issue 19), against the real worker under wrangler dev, with
receivers on 127.0.0.1 started here; every signature is verified with the Standard Webhooks
reference library (`standardwebhooks`, PyPI), not with scim-edge's code.

    e2e.py scenarios        Okta's lifecycle in order and signed; the events API in the same
                            order; another tenant's endpoint receives nothing; a receiver
                            answering 500, then down, then back: everything delivered, nothing
                            lost, duplicates with the same webhook-id.
    e2e.py crash-prepare F  commits a change while its endpoint is down (so it is not delivered)
                            and saves what crash-check needs in F; scripts/webhooks.sh then
                            SIGKILLs wrangler (its process group) and restarts it on the same D1.
    e2e.py crash-check F    brings the receiver up, fires the Cron Trigger, and the change is
                            delivered, signed.
    e2e.py latency [N]      N writes (default 200), one at a time; prints the delivery latency,
                            answer of the write (commit) to arrival at the receiver, p50 and p99.

Environment: SCIM_EDGE_URL, SCIM_EDGE_ADMIN_TOKEN. Loopback only.
"""

import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

ORIGIN = os.environ["SCIM_EDGE_URL"].rstrip("/")
ADMIN = os.environ["SCIM_EDGE_ADMIN_TOKEN"]
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
FAILURES = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


def call(method, path, body=None, token=ADMIN):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(ORIGIN + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, (json.loads(text) if text else None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP receiver on 127.0.0.1: records every request (time, headers, body, the status it
    answered); answers `status` (200 by default); stop() takes it down, start() brings it back on
    the same port."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.status = 200
        self.requests = []
        self.lock = threading.Lock()
        self.server = None
        self.connections = []

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as real receivers do (HTTP/1.0 closes each connection, which the
            # runtime's connection reuse meets as "Network connection lost": a retry).
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.append(self.connection)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                status = receiver.status
                with receiver.lock:
                    receiver.requests.append({
                        "at": time.time(),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "status": status,
                    })
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Down: no new connection is accepted, and the open ones are cut."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.lock:
            for c in self.connections:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.connections = []

    def delivered(self):
        """The requests answered 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def all(self):
        with self.lock:
            return list(self.requests)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    check(False, f"{what} within {seconds} s")
    return False


def tenant(name):
    status, t = call("POST", "/admin/v1/tenants", {"name": name})
    assert status == 201, (status, t)
    return t


def endpoint(t, url):
    status, e = call("POST", f"/admin/v1/tenants/{t['id']}/webhooks", {"url": url})
    assert status == 201, (status, e)
    return e


def scim(t, method, path, body=None):
    return call(method, "/scim/v2" + path, body, token=t["token"])


def okta_user(name):
    return {
        "schemas": [USER],
        "userName": name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "active": True,
    }


def set_active(t, uid, active):
    status, _ = scim(t, "PATCH", f"/Users/{uid}", {
        "schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": active}}]})
    assert status == 200, status


def verified(secret, request):
    """The body, if the reference library verifies the request's signature (else None)."""
    headers = {k: request["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    try:
        return Webhook(secret).verify(request["body"], headers)
    except Exception as e:  # the library raises WebhookVerificationError
        print("    verification failed:", e, flush=True)
        return None


def events(t, after=0):
    out = []
    while True:
        status, page = call("GET", f"/admin/v1/tenants/{t['id']}/events?limit=2&after={after}")
        assert status == 200, (status, page)
        out += page["events"]
        if page["next_cursor"] is None:
            return out
        after = page["next_cursor"]


def okta_lifecycle():
    print("Okta lifecycle, signed and in order; the events API; another tenant", flush=True)
    receiver, other = Receiver().start(), Receiver().start()
    a, b = tenant("Webhooks A"), tenant("Webhooks B")
    hook = endpoint(a, receiver.url())
    endpoint(b, other.url())
    status, user = scim(a, "POST", "/Users", okta_user("ada@example.com"))
    assert status == 201, status
    uid = user["id"]
    body = okta_user("ada@example.com")
    body["title"] = "Engineer"
    status, _ = scim(a, "PUT", f"/Users/{uid}", body)
    assert status == 200, status
    set_active(a, uid, False)
    set_active(a, uid, True)
    expected = ["employee.created", "employee.updated", "employee.deactivated", "employee.reactivated"]
    wait_for(lambda: len(receiver.delivered()) >= 4, 30, "four deliveries")
    got = receiver.delivered()
    bodies = [verified(hook["secret"], r) for r in got]
    check(all(b is not None for b in bodies), "every signature verifies with standardwebhooks")
    check([b and b["type"] for b in bodies] == expected, f"in order: {[b and b['type'] for b in bodies]}")
    check(all(b and b["data"]["employee"]["id"] == uid for b in bodies), "all of the employee")
    check([b and b["data"]["employee"]["eligible"] for b in bodies] == [True, True, False, True],
          "eligibility after each change")
    feed = events(a)
    check([e["type"] for e in feed] == expected, "the events API: the same types in order")
    check([e["id"] for e in feed] == [r["headers"]["webhook-id"] for r in got],
          "the events API: the same ids (webhook-id) in the same order")
    check([e["seq"] for e in feed] == sorted(e["seq"] for e in feed), "in seq order")
    time.sleep(1)
    check(other.all() == [], "the other tenant's endpoint received nothing")
    receiver.stop()
    other.stop()


def failing_receiver():
    print("A receiver answering 500, then down, then back", flush=True)
    receiver = Receiver().start()
    receiver.status = 500
    t = tenant("Webhooks flaky")
    hook = endpoint(t, receiver.url())
    ids = []
    for i in range(3):
        status, user = scim(t, "POST", "/Users", okta_user(f"flaky{i}@example.com"))
        assert status == 201, status
        ids.append(user["id"])
    for uid in ids:
        set_active(t, uid, False)
    wait_for(lambda: len(receiver.all()) >= 4, 30, "attempts answered 500")
    receiver.stop()
    time.sleep(3)
    receiver.status = 200
    receiver.start()
    wait_for(lambda: len({r["headers"]["webhook-id"] for r in receiver.delivered()}) >= 6, 60,
             "all six events delivered after the receiver is back")
    feed = events(t)
    check(len(feed) == 6, f"six events in the feed ({len(feed)})")
    delivered_ids = {r["headers"]["webhook-id"] for r in receiver.delivered()}
    check(delivered_ids == {e["id"] for e in feed}, "every event delivered, none lost")
    by_id = {}
    for r in receiver.all():
        by_id.setdefault(r["headers"]["webhook-id"], set()).add(r["body"])
    check(len(receiver.all()) > 6, f"retries happened ({len(receiver.all())} requests)")
    check(all(len(bodies) == 1 for bodies in by_id.values()),
          "duplicates carry the same webhook-id and the same body")
    check(all(verified(hook["secret"], r) is not None for r in receiver.all()),
          "every request verifies with standardwebhooks")
    # Per employee, first deliveries in seq order.
    seq_of = {e["id"]: e["seq"] for e in feed}
    for uid in ids:
        firsts = []
        for r in receiver.delivered():
            b = json.loads(r["body"])
            if b["data"]["employee"]["id"] == uid and r["headers"]["webhook-id"] not in firsts:
                firsts.append(r["headers"]["webhook-id"])
        check([seq_of[i] for i in firsts] == sorted(seq_of[i] for i in firsts) and len(firsts) == 2,
              f"employee {uid[:8]}: created then deactivated")
    status, log = call("GET", f"/admin/v1/tenants/{t['id']}/webhooks/{hook['id']}/deliveries?limit=1000")
    check(status == 200 and any(a["status"] == 500 for a in log["attempts"])
          and any(a["status"] is None and a["error"] for a in log["attempts"])
          and any(a["status"] == 200 for a in log["attempts"]),
          "the delivery log has the 500s, the refusals (no status, an error) and the 200s")
    check("whsec_" not in json.dumps(log), "no secret in the delivery log")
    receiver.stop()


def crash_prepare(path):
    print("Crash between commit and delivery: commit while the endpoint is down", flush=True)
    port = free_port()
    t = tenant("Webhooks crash")
    hook = endpoint(t, f"http://127.0.0.1:{port}/hook")
    status, user = scim(t, "POST", "/Users", okta_user("crash@example.com"))
    assert status == 201, status
    feed = events(t)
    with open(path, "w") as f:
        json.dump({"port": port, "secret": hook["secret"], "tenant": t["id"],
                   "event": feed[-1]["id"], "user": user["id"]}, f)


def crash_check(path):
    with open(path) as f:
        saved = json.load(f)
    receiver = Receiver(saved["port"]).start()
    # The queue's messages died with the runtime: the Cron Trigger's sweep hands it out again
    # once its lease has run out (3 s under the tests' schedule).
    def delivered():
        urllib.request.urlopen(ORIGIN + "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*", timeout=30).read()
        return any(r["headers"]["webhook-id"] == saved["event"] for r in receiver.delivered())
    wait_for(delivered, 60, "the event committed before the kill delivered after the restart")
    got = [r for r in receiver.delivered() if r["headers"]["webhook-id"] == saved["event"]]
    body = got and verified(saved["secret"], got[0])
    check(bool(body) and body["type"] == "employee.created" and body["data"]["employee"]["id"] == saved["user"],
          "delivered after the restart, signed, the employee's creation")
    receiver.stop()


def latency(n):
    receiver = Receiver().start()
    t = tenant("Webhooks latency")
    endpoint(t, receiver.url())
    committed = {}
    for i in range(n):
        status, user = scim(t, "POST", "/Users", okta_user(f"lat{i}@example.com"))
        assert status == 201, status
        committed[user["id"]] = time.time()
    wait_for(lambda: len(receiver.delivered()) >= n, 120, f"{n} deliveries")
    lat = sorted(
        (r["at"] - committed[json.loads(r["body"])["data"]["employee"]["id"]]) * 1000
        for r in receiver.delivered())
    pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(f"delivery latency under wrangler dev (answer of the write -> receiver), {len(lat)} events:")
    print(f"  p50 {pick(0.50):.0f} ms   p99 {pick(0.99):.0f} ms   max {lat[-1]:.0f} ms")
    receiver.stop()


def main():
    what = sys.argv[1]
    if what == "scenarios":
        okta_lifecycle()
        failing_receiver()
    elif what == "crash-prepare":
        crash_prepare(sys.argv[2])
    elif what == "crash-check":
        crash_check(sys.argv[2])
    elif what == "latency":
        latency(int(sys.argv[2]) if len(sys.argv) > 2 else 200)
        return 0
    else:
        print(__doc__)
        return 2
    if FAILURES:
        print(f"webhooks {what}: {len(FAILURES)} failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
