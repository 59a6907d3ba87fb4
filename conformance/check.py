#!/usr/bin/env python3
"""Decide whether a conformance run passed (standard library only).

    check.py [--out DIR] [--expected FILE]   judge DIR/scim2-tester.txt and DIR/scim-sanity.txt
    check.py --names FILE [--failing]         print the stable name of every check in a
                                              scim2-tester output (to fill an --expected list)
    check.py --self-test                      run conformance/test_check.py

scripts/conformance.sh leaves in DIR (default: conformance-out/ of the project) the full outputs
of the two tools, `<tool>.txt`, and their exit statuses, `<tool>.exit` (124: timed out).

scim2-tester (`scim2 test --verbose`) prints one block per check: a line `STATUS title`, where
STATUS is SUCCESS, COMPLIANT or ACCEPTABLE (a pass), DEVIATION, ERROR or CRITICAL (a failure) or
SKIPPED (not counted) and title is the name of the checker function, then the reason (indented
two spaces; it may run over several lines) and, with --verbose, the data it looked at. Several
checks share a title (check_add_attribute runs once per attribute), so each check gets a stable
name made of what identifies it and nothing that changes between runs or between a pass and a
failure (see stable_names()). The run fails when a check fails whose name is not listed in the
expected-failures file (--expected; none by default: scim-edge passes every check, so the
project's list was deleted when it emptied), when a listed check passes (a list may only
shrink), or when scim2-tester did not get as far as its checks.

scim-sanity (`scim-sanity probe --strict`) prints `  [PASS] name`, `  [FAIL] name`,
`  [ERR ] name`, `  [WARN] name` and `  [SKIP] name` lines, each followed by its indented detail
lines, then a footer `N passed, M failed, ..., T total`. The run fails unless exactly
SCIM_SANITY_EXPECTED_PASSES checks pass and none fails or errs.

Exit status: 0 when the run passed, 1 when it failed, 2 on bad usage.
"""

import argparse
import os
import re
import sys

# scim-sanity 0.7.4 probing --resource User runs 18 checks that can pass (3 discovery, 8 user
# lifecycle, 4 search, 3 error handling) and reports the Group, Agent and AgenticApplication
# phases as SKIP. All 18 must pass; change this only together with the pinned scim-sanity version.
SCIM_SANITY_EXPECTED_PASSES = 18

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "conformance-out")
DEFAULT_EXPECTED = os.path.join(HERE, "expected-failures.txt")

TESTER_PASS = ("SUCCESS", "COMPLIANT", "ACCEPTABLE")
TESTER_FAIL = ("DEVIATION", "ERROR", "CRITICAL")
TESTER_SKIP = ("SKIPPED",)
TESTER_LINE = re.compile(
    r"^(%s) ([A-Za-z_][A-Za-z0-9_]*)$" % "|".join(TESTER_PASS + TESTER_FAIL + TESTER_SKIP))
TESTER_HEADER = "Performing a SCIM compliance check on "

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
DETAIL_LINES = 8  # detail lines shown per failing check
DETAIL_WIDTH = 300  # characters shown per detail line


def clean(text):
    """The text without ANSI escapes or carriage returns."""
    return ANSI.sub("", text).replace("\r", "")


def clip(line, width=DETAIL_WIDTH):
    line = line.rstrip()
    return line if len(line) <= width else line[: width - 3] + "..."


# --- scim2-tester ---------------------------------------------------------------------------

class Check:
    """One scim2-tester check: its status, title, block of lines and stable name."""

    def __init__(self, status, title, lines):
        self.status = status
        self.title = title
        self.lines = lines  # the status line and everything up to the next one
        self.name = title

    @property
    def reason(self):
        """The first line of the reason (the line after the status line), unindented."""
        return self.lines[1].strip() if len(self.lines) > 1 else ""

    @property
    def outcome(self):
        if self.status in TESTER_PASS:
            return "pass"
        if self.status in TESTER_FAIL:
            return "fail"
        return "skip"


def parse_tester(text):
    """(reached, checks) from the output of `scim2 test --verbose`.

    reached is False when the output has no header line or no check line (scim2-tester stopped
    before its checks, e.g. "Error: Could not discover the server ...").
    """
    lines = clean(text).split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith(TESTER_HEADER))
    except StopIteration:
        return False, []
    checks = []
    for line in lines[start + 1:]:
        m = TESTER_LINE.match(line.rstrip())
        if m:
            checks.append(Check(m.group(1), m.group(2), [line.rstrip()]))
        elif checks:
            checks[-1].lines.append(line)
    for c in checks:  # the blank lines at the end of the output are nobody's
        while len(c.lines) > 1 and not c.lines[-1].strip():
            c.lines.pop()
    stable_names(checks)
    return bool(checks), checks


# Checks whose block names the HTTP method they tried: "POST /Schemas correctly returned 405 ...".
METHOD_TITLES = {"service_provider_config_endpoint_methods", "resource_types_endpoint_methods",
                 "schemas_endpoint_methods"}
METHOD_KEY = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) /")
# PATCH checks, one per attribute path; every reason they give, pass or fail, quotes the path.
PATCH_TITLES = {"check_add_attribute", "check_remove_attribute", "check_replace_attribute"}
PATCH_KEY = re.compile(
    r"^(?:Successfully (?:added|removed|replaced) attribute"
    r"|Failed to (?:add|remove|replace) attribute"
    r"|PATCH modify\(\) (?:returned unexpected value for|did not remove attribute)"
    r"|Failed to query resource after (?:add|remove|replace) on"
    r"|Attribute) '([^']+)'")
# attributes / excludedAttributes checks: two per endpoint, `attributes` first; when both pass
# their reasons are the same, so the order tells them apart.
PROJECTION_TITLES = {"object_query_with_attributes", "object_list_with_attributes",
                     "search_with_attributes"}
PROJECTION_ORDER = ("attributes", "excludedAttributes")
KEYS = {
    "resource_types_schema_validation": re.compile(r"^ResourceType '([^']+)'"),
    "query_resource_type_by_id": re.compile(r"/ResourceTypes/(\S+?) endpoint"),
    "access_schema_by_id": re.compile(
        r"^(?:Successfully accessed schema:|Failed to access schema) (\S+?):?(?:\s|$)"),
}
# The model name in the reasons of a resource type's checks ("Successfully created
# User[EnterpriseUser] object with id ...", "... attribute filtering honoured for User").
MODEL_NAME = [
    re.compile(r"\b([A-Z][A-Za-z0-9_]*)(?:\[[^\]]*\])? object with id\b"),
    re.compile(r"attribute filtering honoured for ([A-Z][A-Za-z0-9_]*)"),
    re.compile(r"(?:missing from|still present in) ([A-Z][A-Za-z0-9_]*)(?:\[[^\]]*\])? response"),
    re.compile(r"could not find ([A-Z][A-Za-z0-9_]*)(?:\[[^\]]*\])? with id"),
    re.compile(r"(?:attributes found for|filtering on) ([A-Z][A-Za-z0-9_]*)"),
]
# Run-specific values, in case one ends up in a name all the same.
RUN_SPECIFIC = [
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
     "<uuid>"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "<id>"),
    (re.compile(r"\b\d{5,}\b"), "<n>"),
]


def normalise(name):
    for pattern, replacement in RUN_SPECIFIC:
        name = pattern.sub(replacement, name)
    return " ".join(name.split())


def _key(check, ordinal):
    """What tells this check apart from the others of its title, or None."""
    reason = check.reason
    if check.title in METHOD_TITLES:
        m = METHOD_KEY.match(reason)
        return m.group(1) if m else None
    if check.title in PATCH_TITLES:
        m = PATCH_KEY.match(reason)
        return m.group(1) if m else None
    if check.title in PROJECTION_TITLES:
        if re.search(r"requested attribute '[^']*' missing", reason):
            return "attributes"
        if re.search(r"excluded attribute '[^']*' still present", reason):
            return "excludedAttributes"
        return PROJECTION_ORDER[ordinal] if ordinal < len(PROJECTION_ORDER) else None
    if check.title in KEYS:
        m = KEYS[check.title].search(reason)
        return m.group(1) if m else None
    return None


def stable_names(checks):
    """Give each check a name that is the same on every run, pass or fail.

    - The discovery checks are named by their title, then what tells apart the checks sharing
      it: the HTTP method (`schemas_endpoint_methods PATCH`), the resource type
      (`query_resource_type_by_id User`) or the schema id (`access_schema_by_id urn:...:User`).
    - scim2-tester then runs the same checks for each resource type, each series starting with
      object_creation; those names start with the resource type, taken from the model name the
      reasons give without its extensions (`User: object_creation`), or `resource#N` when no
      reason of the series gives it. The PATCH checks add the attribute path
      (`User: check_add_attribute name`, `User: check_replace_attribute
      urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`); the projection checks
      add `attributes` or `excludedAttributes` (`User: search_with_attributes
      excludedAttributes`).
    - Ids, userNames, URLs and other random values never make it into a name (and normalise()
      would replace them by <uuid>, <id>, <url>, <n>). A name that still occurs twice gets
      ` #2`, ` #3` ... on its later occurrences, in output order.
    """
    series, current = [], None  # series: lists of checks of one resource type
    for c in checks:
        if c.title == "object_creation":
            current = []
            series.append(current)
        if current is not None:
            current.append(c)
    prefix = {}
    for n, s in enumerate(series, 1):
        label = None
        for c in s:
            for pattern in MODEL_NAME:
                m = pattern.search(c.reason)
                if m:
                    label = m.group(1)
                    break
            if label:
                break
        for c in s:
            prefix[id(c)] = (label or "resource#%d" % n) + ": "
    ordinals, seen = {}, {}
    for c in checks:
        group = (prefix.get(id(c), ""), c.title)
        ordinal = ordinals.get(group, 0)
        ordinals[group] = ordinal + 1
        key = _key(c, ordinal)
        name = normalise(prefix.get(id(c), "") + c.title + (" " + key if key else ""))
        seen[name] = seen.get(name, 0) + 1
        c.name = name if seen[name] == 1 else "%s #%d" % (name, seen[name])
    return checks


def load_expected(path):
    """The names listed in an expected-failures file, in order (blank lines and # lines skipped).
    No file means no expected failures: scim2-tester must then pass completely, which is where
    scim-edge is (the list emptied as the Users, query and PATCH work landed, and was deleted)."""
    names = []
    if not os.path.exists(path):
        return names
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and line not in names:
                names.append(line)
    return names


def judge_tester(text, exit_status, expected):
    """(ok, report lines) for scim2-tester."""
    reached, checks = parse_tester(text)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for c in checks:
        counts[c.outcome] += 1
    report, problems = [], []
    head = "scim2-tester: %d pass, %d fail (%d of them listed as expected), %d skipped" % (
        counts["pass"], counts["fail"],
        sum(1 for c in checks if c.outcome == "fail" and c.name in expected), counts["skip"])
    if exit_status == 124:
        problems.append("scim2-tester timed out")
    if not reached:
        first = next((clean(l).strip() for l in text.split("\n") if clean(l).strip()), "no output")
        problems.append("scim2-tester did not reach its checks (exit %s): %s"
                        % (exit_status, clip(first, 200)))
    if "Traceback (most recent call last)" in text:
        problems.append("scim2-tester crashed (Traceback in its output)")
    unexpected = [c for c in checks if c.outcome == "fail" and c.name not in expected]
    names = {c.name: c for c in checks}
    now_passing = [n for n in expected if n in names and names[n].outcome == "pass"]
    skipped_listed = [n for n in expected if n in names and names[n].outcome == "skip"]
    not_seen = [n for n in expected if n not in names]
    if unexpected:
        problems.append("%d unexpected failure(s)" % len(unexpected))
    if now_passing:
        problems.append("%d check(s) listed as expected failures now pass" % len(now_passing))
    ok = not problems
    report.append("%s -> %s" % (head, "OK" if ok else "FAIL: " + "; ".join(problems)))
    if unexpected:
        report.append("  unexpected failures (name, then the tool's lines):")
        for c in unexpected:
            report.append("    - " + c.name)
            for line in c.lines[:DETAIL_LINES]:
                report.append("        " + clip(line))
            if len(c.lines) > DETAIL_LINES:
                report.append("        ... (%d more lines in scim2-tester.txt)"
                              % (len(c.lines) - DETAIL_LINES))
        report.append("  (only the names: python3 conformance/check.py --names "
                      "conformance-out/scim2-tester.txt --failing)")
    if now_passing:
        report.append("  now passing: remove these lines from the expected-failures list:")
        report.extend("    " + n for n in now_passing)
    if reached and skipped_listed:
        report.append("  note: listed, but skipped in this run:")
        report.extend("    " + n for n in skipped_listed)
    if reached and not_seen:
        report.append("  note: listed, but no check of that name ran (a typo, or the server no "
                      "longer advertises it?):")
        report.extend("    " + n for n in not_seen)
    return ok, report


# --- scim-sanity ----------------------------------------------------------------------------

SANITY_LINE = re.compile(r"^\s*\[(PASS|FAIL|ERR|ERROR|WARN|SKIP|\?\?\?)\s*\] (.*?)\s*$")
SANITY_FOOTER = re.compile(r"^\s*(?:\d+ [a-z]+, )*\d+ total\s*$")
SANITY_STATUS = {"ERR": "ERROR", "???": "UNKNOWN"}


def parse_sanity(text):
    """(results, footer): results are [status, name, detail lines]; footer is a dict of the
    counts of the `N passed, ..., T total` line, or None when there is none."""
    results, footer = [], None
    current = None
    for line in clean(text).split("\n"):
        if line.strip() == "Fix Summary":
            break
        m = SANITY_LINE.match(line)
        if m:
            current = [SANITY_STATUS.get(m.group(1), m.group(1)), m.group(2), []]
            results.append(current)
        elif SANITY_FOOTER.match(line):
            footer = {word: int(n) for n, word in re.findall(r"(\d+) ([a-z]+)", line)}
            current = None
        elif current is not None and line.strip() and line.startswith("   "):
            current[2].append(line.strip())
        else:
            current = None
    return results, footer


def judge_sanity(text, exit_status):
    """(ok, report lines) for scim-sanity."""
    results, footer = parse_sanity(text)
    count = {}
    for status, _, _ in results:
        count[status] = count.get(status, 0) + 1
    passes, fails, errors = count.get("PASS", 0), count.get("FAIL", 0), count.get("ERROR", 0)
    head = "scim-sanity: %d pass, %d fail, %d error, %d warn, %d skipped (need exactly %d pass, " \
           "no fail or error)" % (passes, fails, errors, count.get("WARN", 0),
                                  count.get("SKIP", 0), SCIM_SANITY_EXPECTED_PASSES)
    problems = []
    if exit_status == 124:
        problems.append("scim-sanity timed out")
    if not results:
        first = next((clean(l).strip() for l in text.split("\n") if clean(l).strip()), "no output")
        problems.append("scim-sanity did not reach its checks (exit %s): %s"
                        % (exit_status, clip(first, 200)))
    elif footer is None:
        problems.append("scim-sanity did not finish (no `N passed, ..., T total` line)")
    elif (footer.get("passed", 0), footer.get("failed", 0), footer.get("errors", 0),
          footer.get("total", 0)) != (passes, fails, errors, len(results)):
        problems.append("its totals line (%s) does not match the %d result lines read: has the "
                        "output format changed?" % (footer, len(results)))
    if count.get("UNKNOWN"):
        problems.append("%d result(s) of unknown status" % count["UNKNOWN"])
    if fails or errors:
        problems.append("%d failed, %d errors" % (fails, errors))
    if results and passes != SCIM_SANITY_EXPECTED_PASSES:
        problems.append("%d pass instead of %d" % (passes, SCIM_SANITY_EXPECTED_PASSES))
    ok = not problems
    report = ["%s -> %s" % (head, "OK" if ok else "FAIL: " + "; ".join(problems))]
    bad = [r for r in results if r[0] in ("FAIL", "ERROR", "UNKNOWN")]
    if bad:
        report.append("  failures:")
        for status, name, details in bad:
            report.append("    - [%s] %s" % (status, name))
            report.extend("        " + clip(d) for d in details[:DETAIL_LINES])
    return ok, report


# --- command line ---------------------------------------------------------------------------

def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def exit_status(out, tool):
    try:
        return int(read(os.path.join(out, tool + ".exit")).strip())
    except ValueError:
        return None


def judge(out, expected_path):
    """(ok, report lines) for the outputs in out."""
    expected = load_expected(expected_path)
    ok1, r1 = judge_tester(read(os.path.join(out, "scim2-tester.txt")),
                           exit_status(out, "scim2-tester"), expected)
    ok2, r2 = judge_sanity(read(os.path.join(out, "scim-sanity.txt")),
                           exit_status(out, "scim-sanity"))
    ok = ok1 and ok2
    shown = os.path.abspath(expected_path)
    root = os.path.dirname(HERE) + os.sep
    if shown.startswith(root):
        shown = shown[len(root):]
    if os.path.exists(expected_path):
        report = ["SCIM conformance summary (expected failures: %s, %d listed)" % (shown, len(expected))]
    else:
        report = ["SCIM conformance summary (no expected failures: every check must pass)"]
    report += r1 + r2
    report.append("full outputs: %s" % out)
    report.append("conformance verdict: %s" % ("PASS" if ok else "FAIL"))
    return ok, report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="folder holding scim2-tester.txt and scim-sanity.txt")
    parser.add_argument("--expected", default=DEFAULT_EXPECTED,
                        help="the list of expected scim2-tester failures")
    parser.add_argument("--names", metavar="FILE",
                        help="print `STATUS name` for each check of a scim2-tester output")
    parser.add_argument("--failing", action="store_true",
                        help="with --names: only the failing checks, names only")
    parser.add_argument("--self-test", action="store_true", help="run conformance/test_check.py")
    args = parser.parse_args(argv)

    if args.self_test:
        import unittest
        sys.path.insert(0, HERE)
        suite = unittest.defaultTestLoader.loadTestsFromName("test_check")
        result = unittest.TextTestRunner(verbosity=1).run(suite)
        return 0 if result.wasSuccessful() else 1
    if args.names:
        reached, checks = parse_tester(read(args.names))
        if not reached:
            print("no scim2-tester checks in %s" % args.names, file=sys.stderr)
            return 1
        for c in checks:
            if not args.failing:
                print("%-10s %s" % (c.status, c.name))
            elif c.outcome == "fail":
                print(c.name)
        return 0
    if args.expected != DEFAULT_EXPECTED and not os.path.isfile(args.expected):
        print("check.py: no such file: %s" % args.expected, file=sys.stderr)
        return 2
    ok, report = judge(args.out, args.expected)
    print("\n".join(report))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(1)
