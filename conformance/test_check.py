"""Tests of conformance/check.py and of the loopback guard (standard library only).

    python3 -m unittest conformance/test_check.py      (or: python3 conformance/check.py --self-test)

The samples in conformance/samples/ are real outputs of the pinned tools, with their long data
lines cut at 160 characters:
  scim2-tester-reference.txt                    scim2-server 0.8.3 serving Users (+ enterprise
                                                extension) only: 114 checks, all SUCCESS
  scim2-tester-reference-with-groups.txt        the same server with its default Users and Groups
  scim2-tester-patch-active-only.txt            that server behind a filter refusing every PATCH
                                                but `replace active` (400 invalidPath) and ignoring
                                                attributes/excludedAttributes: 31 SUCCESS, 83 ERROR
  scim2-tester-patch-ignored-no-projection.txt  behind a filter answering PATCH with the unchanged
                                                resource (multi-line reasons) and 400 to
                                                attributes/excludedAttributes (exception errors)
  scim2-tester-unreachable.txt                  nothing listening on the port
  scim-sanity-reference.txt                     the reference server: 17 PASS, 1 FAIL (PATCH 204)
  scim-sanity-pass.txt                          the first filter, answering PATCH with 200: 18 PASS
  scim-sanity-unreachable.txt                   nothing listening: [ERR ] lines
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check  # noqa: E402

SAMPLES = os.path.join(HERE, "samples")
GUARD = os.path.join(HERE, "guard")


def sample(name):
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
        return f.read()


def names(text):
    return [c.name for c in check.parse_tester(text)[1]]


def failing(text):
    return [c.name for c in check.parse_tester(text)[1] if c.outcome == "fail"]


class TesterParsing(unittest.TestCase):
    def test_reference_114_checks_all_pass(self):
        reached, checks = check.parse_tester(sample("scim2-tester-reference.txt"))
        self.assertTrue(reached)
        self.assertEqual(len(checks), 114)
        self.assertTrue(all(c.outcome == "pass" for c in checks))
        self.assertEqual(len(set(c.name for c in checks)), 114, "names must be unique")

    def test_names(self):
        got = names(sample("scim2-tester-reference.txt"))
        for name in [
            "service_provider_config_endpoint",
            "schemas_endpoint_methods PATCH",
            "query_resource_type_by_id User",
            "resource_types_schema_validation User",
            "access_schema_by_id urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "random_url",
            "User: object_creation",
            "User: object_query_with_attributes attributes",
            "User: object_query_with_attributes excludedAttributes",
            "User: search_with_attributes excludedAttributes",
            "User: check_add_attribute name",
            "User: check_remove_attribute active",
            "User: check_replace_attribute userName",
            "User: check_replace_attribute "
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ]:
            self.assertIn(name, got)
        self.assertFalse([n for n in got if "#" in n or "<" in n], "no run-specific value left")

    def test_names_do_not_depend_on_the_outcome(self):
        self.assertEqual(names(sample("scim2-tester-reference.txt")),
                         names(sample("scim2-tester-patch-active-only.txt")))

    def test_names_per_resource_type(self):
        got = names(sample("scim2-tester-reference-with-groups.txt"))
        self.assertEqual(len(got), 135)
        self.assertEqual(len(set(got)), 135)
        self.assertEqual(sum(n.startswith("Group: ") for n in got), 18)
        self.assertIn("Group: check_replace_attribute members", got)
        self.assertIn("Group: check_add_attribute externalId", got)
        self.assertIn("User: check_add_attribute externalId", got)
        self.assertIn("query_resource_type_by_id Group", got)

    def test_failures_of_a_server_with_patch_of_active_only(self):
        fails = failing(sample("scim2-tester-patch-active-only.txt"))
        self.assertEqual(len(fails), 83)
        self.assertIn("User: check_add_attribute nickName", fails)
        self.assertIn("User: check_remove_attribute nickName", fails)
        self.assertNotIn("User: check_replace_attribute active", fails)
        self.assertIn("User: object_query_with_attributes excludedAttributes", fails)
        self.assertNotIn("User: object_query_with_attributes attributes", fails)

    def test_multi_line_reasons_and_exceptions(self):
        text = sample("scim2-tester-patch-ignored-no-projection.txt")
        reached, checks = check.parse_tester(text)
        by_name = {c.name: c for c in checks}
        c = by_name["User: check_add_attribute name"]
        self.assertEqual(c.outcome, "fail")
        self.assertTrue(any(l.startswith("Patched value: ") for l in c.lines))
        self.assertTrue(any(l.startswith("Returned value: ") for l in c.lines))
        # A 400 to ?attributes= ends the checker: one failure, named after the first check.
        self.assertEqual(by_name["User: object_query_with_attributes attributes"].outcome, "fail")
        self.assertNotIn("User: object_query_with_attributes excludedAttributes", by_name)
        self.assertEqual(by_name["User: search_with_attributes excludedAttributes"].outcome, "fail")
        self.assertEqual(set(by_name) - set(names(sample("scim2-tester-reference.txt"))), set())

    def test_unreachable(self):
        self.assertEqual(check.parse_tester(sample("scim2-tester-unreachable.txt")), (False, []))
        self.assertEqual(check.parse_tester(""), (False, []))

    def test_ansi_colour_is_ignored(self):
        plain = sample("scim2-tester-patch-active-only.txt")
        coloured = "\n".join(
            "\x1b[32m%s\x1b[0m%s" % (l.split(" ", 1)[0], l[len(l.split(" ", 1)[0]):])
            if check.TESTER_LINE.match(l) else l for l in plain.split("\n"))
        self.assertNotEqual(plain, coloured)
        self.assertEqual(failing(coloured), failing(plain))
        self.assertEqual(names(coloured), names(plain))

    def test_all_status_words(self):
        # This scim2-tester version prints only SUCCESS, ERROR and SKIPPED; the others are
        # synthesised here from real lines.
        text = sample("scim2-tester-reference.txt").replace(
            "SUCCESS service_provider_config_endpoint\n", "COMPLIANT service_provider_config_endpoint\n"
        ).replace("SUCCESS query_all_schemas\n", "ACCEPTABLE query_all_schemas\n"
        ).replace("SUCCESS random_url\n", "DEVIATION random_url\n"
        ).replace("SUCCESS access_invalid_schema\n", "CRITICAL access_invalid_schema\n"
        ).replace("SUCCESS query_all_resource_types\n", "SKIPPED query_all_resource_types\n")
        checks = {c.name: c.outcome for c in check.parse_tester(text)[1]}
        self.assertEqual(len(checks), 114)
        self.assertEqual(checks["service_provider_config_endpoint"], "pass")
        self.assertEqual(checks["query_all_schemas"], "pass")
        self.assertEqual(checks["random_url"], "fail")
        self.assertEqual(checks["access_invalid_schema"], "fail")
        self.assertEqual(checks["query_all_resource_types"], "skip")

    def test_normalise(self):
        self.assertEqual(
            check.normalise("x /Users/8647f96535a043629743f23f40c8ba73 "
                            "'ce434abc-0b36-40df-86c1-e59a3aa10e94' http://127.0.0.1:40405/v2/x  1234567"),
            "x /Users/<id> '<uuid>' <url> <n>")

    def test_resource_type_unknown(self):
        # No reason of the series names the model (every check ended in an exception).
        text = ("Performing a SCIM compliance check on http://127.0.0.1:1/v2/ ...\n"
                "SUCCESS random_url\n  /x correctly returned a 404 error\n"
                "ERROR object_creation\n  Network error happened during request\n"
                "ERROR check_add_attribute\n  Failed to create resource: boom 'x'\n"
                "ERROR object_creation\n  Successfully created Group object with id 42\n")
        self.assertEqual(names(text), ["random_url", "resource#1: object_creation",
                                       "resource#1: check_add_attribute",
                                       "Group: object_creation"])

    def test_same_name_twice_gets_a_number(self):
        text = ("Performing a SCIM compliance check on http://127.0.0.1:1/v2/ ...\n"
                "ERROR service_description\n  boom\nERROR service_description\n  boom again\n")
        self.assertEqual(names(text), ["service_description", "service_description #2"])


class TesterVerdict(unittest.TestCase):
    def setUp(self):
        self.crippled = sample("scim2-tester-patch-active-only.txt")
        self.reference = sample("scim2-tester-reference.txt")
        self.expected = failing(self.crippled)

    def test_everything_passes_nothing_listed(self):
        ok, report = check.judge_tester(self.reference, 0, [])
        self.assertTrue(ok, report)
        self.assertIn("114 pass, 0 fail", report[0])

    def test_all_failures_listed(self):
        ok, report = check.judge_tester(self.crippled, 1, self.expected)
        self.assertTrue(ok, report)
        self.assertIn("31 pass, 83 fail (83 of them listed as expected)", report[0])

    def test_unlisted_failure(self):
        expected = [n for n in self.expected if n != "User: check_add_attribute nickName"]
        ok, report = check.judge_tester(self.crippled, 1, expected)
        self.assertFalse(ok)
        text = "\n".join(report)
        self.assertIn("1 unexpected failure(s)", text)
        self.assertIn("    - User: check_add_attribute nickName", text)
        self.assertIn("Failed to add attribute 'nickName': only `replace active` is supported", text)

    def test_listed_check_now_passes(self):
        ok, report = check.judge_tester(self.reference, 0, ["User: check_add_attribute nickName"])
        self.assertFalse(ok)
        text = "\n".join(report)
        self.assertIn("1 check(s) listed as expected failures now pass", text)
        self.assertIn("remove these lines", text)
        self.assertIn("\n    User: check_add_attribute nickName", text)

    def test_listed_check_that_did_not_run_is_only_a_note(self):
        ok, report = check.judge_tester(self.crippled, 1, self.expected + ["User: nothing"])
        self.assertTrue(ok, report)
        self.assertIn("no check of that name ran", "\n".join(report))

    def test_never_reached_the_checks(self):
        ok, report = check.judge_tester(sample("scim2-tester-unreachable.txt"), 1, [])
        self.assertFalse(ok)
        self.assertIn("did not reach its checks (exit 1): Error: Could not discover", report[0])
        ok, report = check.judge_tester("", 124, [])
        self.assertFalse(ok)
        self.assertIn("timed out", report[0])

    def test_timeout_after_output(self):
        self.assertFalse(check.judge_tester(self.reference, 124, [])[0])

    def test_traceback(self):
        self.assertFalse(check.judge_tester(
            self.reference + "Traceback (most recent call last):\n  File ...\n", 1, [])[0])

    def test_load_expected(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# header\n\n  User: check_add_attribute name  \n#User: x\n"
                    "User: check_add_attribute name\nUser: check_add_attribute title\n")
        try:
            self.assertEqual(check.load_expected(f.name),
                             ["User: check_add_attribute name", "User: check_add_attribute title"])
        finally:
            os.unlink(f.name)

    def test_a_missing_list_expects_no_failures(self):
        self.assertEqual(check.load_expected(os.path.join(tempfile.gettempdir(), "no-such-list.txt")), [])


class Sanity(unittest.TestCase):
    def test_reference_17_of_18(self):
        results, footer = check.parse_sanity(sample("scim-sanity-reference.txt"))
        statuses = [r[0] for r in results]
        self.assertEqual(statuses.count("PASS"), 17)
        self.assertEqual(statuses.count("FAIL"), 1)
        self.assertEqual(statuses.count("SKIP"), 4)
        self.assertEqual(footer, {"passed": 17, "failed": 1, "skipped": 4, "total": 22})
        ok, report = check.judge_sanity(sample("scim-sanity-reference.txt"), 1)
        self.assertFalse(ok)
        text = "\n".join(report)
        self.assertIn("[FAIL] PATCH /Users/{id}", text)
        self.assertIn("Expected HTTP 200, got 204", text)
        self.assertIn("17 pass instead of 18", text)

    def test_all_18_pass(self):
        ok, report = check.judge_sanity(sample("scim-sanity-pass.txt"), 0)
        self.assertTrue(ok, report)
        self.assertIn("18 pass, 0 fail, 0 error", report[0])

    def test_unreachable_errors(self):
        results, _ = check.parse_sanity(sample("scim-sanity-unreachable.txt"))
        self.assertEqual([r[0] for r in results].count("ERROR"), 11)
        ok, report = check.judge_sanity(sample("scim-sanity-unreachable.txt"), 1)
        self.assertFalse(ok)
        self.assertIn("[ERROR] GET /ServiceProviderConfig", "\n".join(report))

    def test_fewer_passes_is_a_failure(self):
        text = sample("scim-sanity-pass.txt").replace("  [PASS] GET /Schemas\n", "").replace(
            "18 passed, 4 skipped, 22 total", "17 passed, 4 skipped, 21 total")
        ok, report = check.judge_sanity(text, 0)
        self.assertFalse(ok)
        self.assertIn("17 pass instead of 18", report[0])

    def test_footer_mismatch_or_missing(self):
        text = sample("scim-sanity-pass.txt")
        self.assertFalse(check.judge_sanity(text.replace("18 passed", "19 passed"), 0)[0])
        cut = text[: text.index("=====", text.index("[PASS]"))]
        ok, report = check.judge_sanity(cut, None)
        self.assertFalse(ok)
        self.assertIn("did not finish", report[0])

    def test_nothing(self):
        ok, report = check.judge_sanity("Error: something\n", 1)
        self.assertFalse(ok)
        self.assertIn("did not reach its checks (exit 1): Error: something", report[0])
        self.assertFalse(check.judge_sanity(sample("scim-sanity-pass.txt"), 124)[0])

    def test_warn_does_not_fail(self):
        text = sample("scim-sanity-pass.txt").replace(
            "  [SKIP] Group CRUD Lifecycle", "  [WARN] Group CRUD Lifecycle").replace(
            "18 passed, 4 skipped, 22 total", "18 passed, 1 warnings, 3 skipped, 22 total")
        ok, report = check.judge_sanity(text, 0)
        self.assertTrue(ok, report)
        self.assertIn("1 warn, 3 skipped", report[0])


class CommandLine(unittest.TestCase):
    def run_check(self, *args):
        return subprocess.run([sys.executable, os.path.join(HERE, "check.py"), *args],
                              capture_output=True, text=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.expected = os.path.join(self.dir, "expected.txt")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def out(self, tester, sanity, tester_exit=0, sanity_exit=0):
        shutil.copy(os.path.join(SAMPLES, tester), os.path.join(self.dir, "scim2-tester.txt"))
        shutil.copy(os.path.join(SAMPLES, sanity), os.path.join(self.dir, "scim-sanity.txt"))
        for tool, code in (("scim2-tester", tester_exit), ("scim-sanity", sanity_exit)):
            with open(os.path.join(self.dir, tool + ".exit"), "w") as f:
                f.write("%d\n" % code)

    def test_pass_and_fail(self):
        listed = self.run_check("--names", os.path.join(SAMPLES, "scim2-tester-patch-active-only.txt"),
                                "--failing")
        self.assertEqual(listed.returncode, 0)
        self.assertEqual(len(listed.stdout.splitlines()), 83)
        with open(self.expected, "w") as f:
            f.write("# a header\n" + listed.stdout)
        self.out("scim2-tester-patch-active-only.txt", "scim-sanity-pass.txt", 1, 0)
        r = self.run_check("--out", self.dir, "--expected", self.expected)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.rstrip().endswith("conformance verdict: PASS"), r.stdout)
        self.out("scim2-tester-reference.txt", "scim-sanity-pass.txt", 0, 0)
        r = self.run_check("--out", self.dir, "--expected", self.expected)
        self.assertEqual(r.returncode, 1)
        self.assertIn("83 check(s) listed as expected failures now pass", r.stdout)
        self.assertTrue(r.stdout.rstrip().endswith("conformance verdict: FAIL"), r.stdout)

    def test_reference_server(self):
        with open(self.expected, "w") as f:
            f.write("# nothing\n")
        self.out("scim2-tester-reference.txt", "scim-sanity-reference.txt", 0, 1)
        r = self.run_check("--out", self.dir, "--expected", self.expected)
        self.assertEqual(r.returncode, 1)
        self.assertIn("scim2-tester: 114 pass, 0 fail", r.stdout)
        self.assertIn("scim-sanity: 17 pass, 1 fail", r.stdout)

    def test_missing_outputs(self):
        with open(self.expected, "w") as f:
            f.write("")
        r = self.run_check("--out", self.dir, "--expected", self.expected)
        self.assertEqual(r.returncode, 1)
        self.assertIn("did not reach its checks", r.stdout)
        r = self.run_check("--out", self.dir, "--expected", os.path.join(self.dir, "nope"))
        self.assertEqual(r.returncode, 2)


class Guard(unittest.TestCase):
    """The loopback guard, in a child process that loads it the way the tools do. Nothing here
    sends a packet anywhere but to loopback, even with a broken guard: the refused cases are
    address literals (getaddrinfo of a literal sends nothing) and 0.0.0.0 (local on Linux)."""

    def run_guarded(self, code):
        env = dict(os.environ, PYTHONPATH=GUARD, PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60)

    def test_decisions(self):
        sys.path.insert(0, GUARD)
        try:
            import sitecustomize as guard
            if not getattr(guard, "GUARD_ACTIVE", False):  # another sitecustomize came first
                self.skipTest("another sitecustomize module is on sys.path")
        finally:
            sys.path.remove(GUARD)
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "localhost",
                     "LOCALHOST"]:
            self.assertTrue(guard.is_loopback_host(host), host)
        for host in ["0.0.0.0", "10.0.0.1", "192.168.1.1", "192.0.2.1", "::", "fe80::1",
                     "example.com", "127.0.0.1.example.com", ""]:
            self.assertFalse(guard.is_loopback_host(host), host)

    def test_in_a_process(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        try:
            r = self.run_guarded("""
import socket, sitecustomize, urllib.request
assert sitecustomize.GUARD_ACTIVE
def refused(f, *a):
    try:
        f(*a)
    except OSError as e:
        assert "loopback guard" in str(e), e
        return True
    return False
assert refused(socket.getaddrinfo, "192.0.2.1", 80)
assert refused(socket.getaddrinfo, "example.com", 80)
assert refused(socket.gethostbyname, "example.com")
assert refused(socket.create_connection, ("192.0.2.1", 80))
assert refused(socket.socket().connect, ("0.0.0.0", %(port)d))
assert refused(socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto, b"x", ("0.0.0.0", 9))
try:
    urllib.request.urlopen("http://example.com/", timeout=5)
    raise SystemExit("urllib got through")
except OSError as e:
    assert "loopback guard" in str(e), e
assert {a[4][0] for a in socket.getaddrinfo("localhost", 80, socket.AF_INET)} == {"127.0.0.1"}
socket.create_connection(("127.0.0.1", %(port)d), timeout=5).close()
socket.create_connection(("localhost", %(port)d), timeout=5).close()
print("guard ok")
""" % {"port": port})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("guard ok", r.stdout)
        finally:
            listener.close()


if __name__ == "__main__":
    unittest.main()
