"""The driver of bench/statements.sh: wrk against bench/d1-probe, interleaved; prints figures.

    python3 bench/statements.py ORIGIN WRK RUNS SECONDS

Every variant (a read or an insert, alone or with N more statements in its D1 batch) is run at
c=1 and c=8 for SECONDS, RUNS rounds, the order shuffled each round. Prints the median req/s
and p50 of each, then the cost of one more statement: the p50 gained at c=1 per statement, and
the req/s kept at c=8 with 15 more. Loopback only."""
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

origin, wrk, runs, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if not re.fullmatch(r"http://127\.0\.0\.1:\d+", origin):
    sys.exit("statements.py: loopback origins only")

SCRIPT = r"""
local method, template
function init(args)
  method, template = args[1], args[2]
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  local path = string.gsub(template, "{id}", tostring(math.random(1, 10000)))
  if method == "POST" then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"},
      '{"userName":"probe","data":"' .. string.rep("x", 300) .. '"}')
  end
  return wrk.format("GET", path)
end
"""

VARIANTS = [
    ("read alone (.first())", "GET", "/single/{id}", None),
    ("read in a batch", "GET", "/batch/{id}?n=0", ("read", 0)),
    ("read + 15 trivial", "GET", "/batch/{id}?n=15&kind=trivial", ("read", 15)),
    ("read + 15 long", "GET", "/batch/{id}?n=15&kind=heavy", ("read", 15)),
    ("insert in a batch", "POST", "/insert?n=0", ("insert", 0)),
    ("insert + 15 trivial", "POST", "/insert?n=15&kind=trivial", ("insert", 15)),
    ("insert + 15 long", "POST", "/insert?n=15&kind=heavy", ("insert", 15)),
]
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run(script, c, method, path):
    out = subprocess.run(
        [wrk, "-t1", f"-c{c}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", script, origin, "--", method, path],
        capture_output=True, text=True, timeout=int(seconds) + 60, env={k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    if not rps or not p50:
        sys.exit(f"statements.py: wrk printed no figures for {method} {path}:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return float(rps.group(1)), float(p50.group(1)) * UNIT[p50.group(2)], int(bad.group(1)) if bad else 0, errors.group(0) if errors else ""


with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
    f.write(SCRIPT)
    script = f.name
results = {}
try:
    for r in range(runs):
        order = VARIANTS[:]
        random.shuffle(order)
        for c in (1, 8):
            for name, method, path, _ in order:
                rps, p50, bad, errors = run(script, c, method, path)
                results.setdefault((name, c), []).append((rps, p50, bad))
                print(f"round {r + 1}, c={c}, {name}: {rps:.0f} req/s, p50 {p50:.2f} ms {errors}", file=sys.stderr, flush=True)
finally:
    os.unlink(script)

median = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in results.items()}
print(f"\n{runs} rounds of {seconds} s per variant and concurrency (medians)\n")
print("| variant | c=1 req/s | c=1 p50 ms | c=8 req/s | c=8 p50 ms | req/s per run (c=1; c=8) | non-2xx |")
print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
for name, _, _, _ in VARIANTS:
    one, eight = results[(name, 1)], results[(name, 8)]
    print(
        f"| {name} | {median[(name, 1)][0]:.0f} | {median[(name, 1)][1]:.2f} | {median[(name, 8)][0]:.0f} | {median[(name, 8)][1]:.2f} | "
        f"{' / '.join(f'{x[0]:.0f}' for x in one)}; {' / '.join(f'{x[0]:.0f}' for x in eight)} | {sum(x[2] for x in one + eight)} |"
    )
print("\nOne more statement in the batch (from the medians above):\n")
print("| base | kind | c=1 p50 per statement, ms | c=8 req/s with 15 more, of the base |")
print("| --- | --- | ---: | ---: |")
for base in ("read", "insert"):
    base_name = f"{base} in a batch"
    for kind in ("trivial", "long"):
        name = f"{base} + 15 {kind}"
        per = (median[(name, 1)][1] - median[(base_name, 1)][1]) / 15
        kept = median[(name, 8)][0] / median[(base_name, 8)][0]
        print(f"| {base} | {kind} | {per:.3f} | {kept:.2f} |")
