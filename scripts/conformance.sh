#!/usr/bin/env bash
# The third-party SCIM conformance checkers against a running scim-edge, and the verdict.
#
#   scripts/conformance.sh ORIGIN ADMIN_TOKEN
#       creates a fresh tenant through the admin API at ORIGIN (e.g. http://127.0.0.1:8787) and
#       checks ORIGIN/scim/v2 with the tenant's token (what scripts/test.sh runs);
#   scripts/conformance.sh --base-url URL [--token TOKEN]
#       checks the SCIM base URL as it is, with TOKEN (or $CONFORMANCE_TOKEN): no admin API, e.g.
#       for another SCIM server.
#   options: --out DIR (default conformance-out/), --expected FILE (scim2-tester checks allowed
#            to fail, one name per line; by default none: scim-edge passes them all),
#            --timeout SECONDS per tool (default 600).
#
# The checkers, pinned in conformance/requirements.txt and installed into .venv/conformance:
#   scim2-tester via scim2-cli:  SCIM_CLI_URL=BASE SCIM_CLI_HEADERS=... scim2 test --verbose
#   scim-sanity:                 scim-sanity probe BASE --token=... --resource User --strict
# Their full outputs go to DIR/scim2-tester.txt and DIR/scim-sanity.txt, and conformance/check.py
# decides (see there): it prints a summary, also kept in DIR/summary.txt.
#
# Exit status: 0 when the run passed, 1 when it failed, 2 on bad usage.
# Network: the URL must be loopback (localhost, 127.0.0.0/8, [::1]); proxies are cleared, and
# every Python process of the checkers loads conformance/guard/sitecustomize.py, which refuses
# any lookup or connection that is not loopback. pip reaches PyPI only when the venv is built.
# The tokens never reach the command line of a tool, the terminal or the output files.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
  exit 2
}

VENV="$ROOT/.venv/conformance"
REQUIREMENTS="$ROOT/conformance/requirements.txt"
GUARD="$ROOT/conformance/guard"
OUT="$ROOT/conformance-out"
EXPECTED=""
TOOL_TIMEOUT="${CONFORMANCE_TIMEOUT:-600}"
ORIGIN="" ADMIN_TOKEN="" BASE_URL="" TOKEN="${CONFORMANCE_TOKEN:-}"

positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base-url) [ $# -ge 2 ] || usage; BASE_URL="$2"; shift 2 ;;
    --token) [ $# -ge 2 ] || usage; TOKEN="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT="$2"; shift 2 ;;
    --expected) [ $# -ge 2 ] || usage; EXPECTED="$2"; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; TOOL_TIMEOUT="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "conformance.sh: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
if [ -n "$BASE_URL" ]; then
  [ ${#positional[@]} -eq 0 ] || usage
  [ -n "$TOKEN" ] || { echo "conformance.sh: --base-url needs --token or \$CONFORMANCE_TOKEN" >&2; exit 2; }
  BASE_URL="${BASE_URL%/}"
else
  [ ${#positional[@]} -eq 2 ] || usage
  ORIGIN="${positional[0]%/}"
  ADMIN_TOKEN="${positional[1]}"
  BASE_URL="$ORIGIN/scim/v2"
fi
[[ "$TOOL_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || { echo "conformance.sh: bad --timeout $TOOL_TIMEOUT" >&2; exit 2; }
if [ -n "$EXPECTED" ]; then
  [ -f "$EXPECTED" ] || { echo "conformance.sh: no such file: $EXPECTED" >&2; exit 2; }
  EXPECTED="$(cd "$(dirname "$EXPECTED")" && pwd)/$(basename "$EXPECTED")"
fi

# Loopback only: http(s), a loopback host, no user info.
is_loopback_url() {
  python3 - "$1" <<'EOF'
import ipaddress, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
try:
    host, port = (u.hostname or "").lower(), u.port
except ValueError:
    sys.exit(1)
def loopback(h):
    if h == "localhost":
        return True
    try:
        a = ipaddress.ip_address(h)
    except ValueError:
        return False
    if a.version == 6 and a.ipv4_mapped:
        a = a.ipv4_mapped
    return a.is_loopback
sys.exit(0 if u.scheme in ("http", "https") and loopback(host) and u.username is None
         and not u.query and not u.fragment else 1)
EOF
}
for url in ${ORIGIN:+"$ORIGIN"} "$BASE_URL"; do
  is_loopback_url "$url" || {
    echo "conformance.sh: refusing $url: only http(s)://localhost, 127.x.x.x or [::1] URLs" >&2
    exit 2
  }
done

# No proxy anywhere below, curl included.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY
export NO_PROXY='*' no_proxy='*'

# --- the tenant ---------------------------------------------------------------------------------
if [ -n "$ORIGIN" ]; then
  say "conformance: creating a tenant through $ORIGIN/admin/v1/tenants"
  # The admin token goes to curl on its standard input (a config file), not on its command line.
  quoted="${ADMIN_TOKEN//\\/\\\\}"
  quoted="${quoted//\"/\\\"}"
  response="$(printf 'header = "Authorization: Bearer %s"\n' "$quoted" |
    curl -sS --noproxy '*' --max-time 30 -K - -X POST "$ORIGIN/admin/v1/tenants" \
      -H 'Content-Type: application/json' -H 'Accept: application/json' \
      --data '{"name": "conformance"}' -w '\n%{http_code}')" ||
    die "conformance: could not reach $ORIGIN/admin/v1/tenants"
  status="${response##*$'\n'}"
  body="${response%$'\n'*}"
  if [ "$status" != 201 ]; then
    printf '%s\n' "${body:0:300}" >&2
    die "conformance: POST /admin/v1/tenants answered $status, not 201"
  fi
  # Token and scim_base_url out of the JSON; the body goes through the environment.
  fields="$(BODY="$body" python3 -c '
import json, os, sys
try:
    d = json.loads(os.environ["BODY"])
    token, base = d["token"], d["scim_base_url"]
    assert isinstance(token, str) and token and "\n" not in token
    assert isinstance(base, str) and "\n" not in base
except Exception:
    sys.exit(1)
print(base)
print(token)
')" || die "conformance: the 201 answer of POST /admin/v1/tenants has no token and scim_base_url"
  unset body response quoted
  advertised="${fields%%$'\n'*}"
  TOKEN="${fields#*$'\n'}"
  unset fields
  if [ "${advertised%/}" != "$BASE_URL" ]; then
    echo "conformance: note: the tenant's scim_base_url is $advertised; checking $BASE_URL" >&2
  fi
fi

# --- the checkers' venv -------------------------------------------------------------------------
venv_ok() {
  local want
  want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/scim2" ] && [ -x "$VENV/bin/scim-sanity" ] &&
    [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$want" ] &&
    venv_matches_pins 2>/dev/null
}

# Every pinned name==version of the requirements must be what the venv has.
venv_matches_pins() {
  "$VENV/bin/python" - "$REQUIREMENTS" <<'EOF'
import re, sys
from importlib import metadata
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
have = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
bad = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    if have.get(norm(name)) != version.strip():
        bad.append(f"{line} (venv has {have.get(norm(name), 'nothing')})")
if bad:
    print("conformance: venv does not match the pins: " + "; ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
}

_ensure_venv() {
  venv_ok && return 0 # built meanwhile by another process holding the lock
  python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "conformance: python3 is older than 3.11"
  say "conformance: installing the pinned checkers into .venv/conformance (pip, from PyPI)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || die "conformance: python3 -m venv failed (Debian: apt-get install python3-venv)"
  # Not under the loopback guard: pip must reach the package registry.
  env -u PYTHONPATH "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-virtualenv -r "$REQUIREMENTS" >&2 || die "conformance: pip install failed"
  venv_matches_pins || die "conformance: the venv does not hold the pinned versions"
  sha256sum "$REQUIREMENTS" | cut -d' ' -f1 >"$VENV/.requirements.sha256"
}

if ! venv_ok; then
  with_lock conformance-venv _ensure_venv || exit 1
fi
PY="$VENV/bin/python"

# --- run the checkers ---------------------------------------------------------------------------
mkdir -p "$OUT" || die "conformance: cannot create $OUT"
OUT="$(cd "$OUT" && pwd)"
rm -f "$OUT"/scim2-tester.txt "$OUT"/scim-sanity.txt "$OUT"/*.exit "$OUT"/summary.txt \
  "$OUT"/check-self-test.txt

# Every Python process from here on loads the loopback guard; check that it is really loaded.
# (getaddrinfo of an address literal sends nothing even without the guard.)
export PYTHONPATH="$GUARD" PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 NO_COLOR=1
"$PY" -c '
import socket, sitecustomize
assert getattr(sitecustomize, "GUARD_ACTIVE", False)
try:
    socket.getaddrinfo("192.0.2.1", 80)
except OSError:
    pass
else:
    raise SystemExit(1)
' 2>/dev/null || die "conformance: the loopback guard (conformance/guard/sitecustomize.py) is not active"

# The checker's own tests first (a second or so): a verdict from a broken checker is worthless.
if ! "$PY" "$ROOT/conformance/check.py" --self-test >"$OUT/check-self-test.txt" 2>&1; then
  cat "$OUT/check-self-test.txt" >&2
  die "conformance: conformance/check.py --self-test failed"
fi

TOOL_PID=""
stop_tool() {
  if [ -n "$TOOL_PID" ]; then
    # timeout(1) leads the process group of the tool; TERM makes it pass TERM on and exit.
    kill -TERM "$TOOL_PID" 2>/dev/null
    wait "$TOOL_PID" 2>/dev/null
    TOOL_PID=""
  fi
}
trap 'stop_tool; exit 130' INT
trap 'stop_tool; exit 143' TERM

# run_tool NAME COMMAND...: COMMAND with a time limit, output to $OUT/NAME.txt, exit to NAME.exit.
run_tool() {
  local name="$1" start rc
  shift
  start=$SECONDS
  timeout --kill-after=10 "$TOOL_TIMEOUT" "$@" >"$OUT/$name.txt" 2>&1 </dev/null &
  TOOL_PID=$!
  wait "$TOOL_PID"
  rc=$?
  TOOL_PID=""
  echo "$rc" >"$OUT/$name.exit"
  echo "conformance: $name finished in $((SECONDS - start)) s (exit $rc)" >&2
}

say "conformance: scim2-tester (scim2 test) against $BASE_URL"
SCIM_CLI_URL="$BASE_URL" SCIM_CLI_HEADERS="Authorization: Bearer $TOKEN" \
  run_tool scim2-tester "$VENV/bin/scim2" test --verbose

say "conformance: scim-sanity probe against $BASE_URL"
# The token reaches scim-sanity through the environment: its command line shows no token.
SCIM_SANITY_TOKEN="$TOKEN" run_tool scim-sanity "$PY" -c '
import os, sys
from scim_sanity.cli import main
sys.argv = ["scim-sanity", "probe", sys.argv[1], "--token=" + os.environ.pop("SCIM_SANITY_TOKEN"),
            "--resource", "User", "--strict", "--timeout", "15", "--i-accept-side-effects"]
main()
' "$BASE_URL"
trap - INT TERM

# The token must not stay in the outputs, whatever the tools printed.
SECRET="$TOKEN" "$PY" - "$OUT/scim2-tester.txt" "$OUT/scim-sanity.txt" <<'EOF'
import os, sys
secret = os.environ["SECRET"]
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    if secret and secret in text:
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text.replace(secret, "<token>"))
EOF
unset TOKEN ADMIN_TOKEN

# --- the verdict --------------------------------------------------------------------------------
"$PY" "$ROOT/conformance/check.py" --out "$OUT" ${EXPECTED:+--expected "$EXPECTED"} | tee "$OUT/summary.txt"
exit "${PIPESTATUS[0]}"
