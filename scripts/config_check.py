#!/usr/bin/env python3
"""The configuration check of scim-edge: what `wrangler deploy --dry-run` does not check.

    scripts/config_check.py [--root DIR] [--migrations] [--deploy staging|production]

Always (every environment of wrangler.toml: the top level, which is local development, and
[env.staging], [env.production]):
  - every binding, var and secret the code reads is declared there. The list is derived from
    the code: each `env.<method>(<name>)` call under src/ (a string literal, a `const` of type
    &str, a local bound to a limiter's `.binding()`, whose names are the string literals of
    `fn binding`, or a local bound to `shards::binding(..)`, whose names are the string literals
    of `const SHARD_BINDINGS`: every shard's D1 binding); a call whose name cannot be resolved
    fails the check, so that a new read cannot slip past it;
  - var reads are declared under [vars], secrets under [secrets] required (named, never
    valued: a secret's name under [vars] fails), D1 bindings under [[d1_databases]] with
    migrations_dir = "migrations", limiters under [[ratelimits]] with the top level's limit and
    period and namespace ids of their own (none shared between staging and production, which
    may share an account);
  - the Cron Triggers are the schedules the code knows (its `*_CRON` constants);
  - Workers Logs keep no invocation logs and no traces (they record URLs and headers);
  - staging and production serve only their routes: workers_dev = false, and no `_` in a
    route's host (Okta refuses a base URL with one); production never sets SCIM_RATE_LIMIT off.
With --migrations: the migration files are named NNNN_<name>.sql, numbered uniquely, and apply
in order, cleanly, to a fresh database (SQLite, foreign keys on, as D1 runs them; Python's
SQLite must have FTS5's trigram tokenizer, which migration 0018 uses, or the check says so).
With --deploy ENV (`make deploy`): ENV's database ids are real ones (not the all-zero
placeholder), each shard's its own, staging's and production's differ, and its routes are not placeholders
(example.com). The repository keeps placeholders, so `make test` does not ask for this.

Exits 1 and says what is wrong, one line each; prints what it checked otherwise.
"""

import argparse
import pathlib
import re
import sqlite3
import sys
import tomllib

DEPLOYED = ("staging", "production")
# env.<method> -> the wrangler.toml section that declares its names.
ENV_METHODS = {
    "var": "vars",
    "secret": "secrets",
    "d1": "d1_databases",
    "rate_limiter": "ratelimits",
    "kv": "kv_namespaces",
    "bucket": "r2_buckets",
    "queue": "queues",
    "durable_object": "durable_objects",
    "service": "services",
    "assets": "assets",
}
PLACEHOLDER_ID = re.compile(r"^0{8}-0{4}-0{4}-0{4}-0{12}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PLACEHOLDER_HOST = re.compile(r"(^|\.)example\.(com|org|net)$|placeholder|changeme", re.I)


def strip_comments(rust: str) -> str:
    """Rust text without `//` comments (doc comments included), so that prose naming a call
    is not taken for one. Naive about `//` inside string literals, which only loses text."""
    return "\n".join(line.split("//", 1)[0] for line in rust.splitlines())


class Code:
    """What the code under src/ reads from its environment, and the schedules it knows."""

    def __init__(self, src: pathlib.Path):
        self.files = {p: strip_comments(p.read_text()) for p in sorted(src.rglob("*.rs"))}
        self.consts = {}
        for text in self.files.values():
            for name, value in re.findall(
                r"\bconst\s+([A-Z][A-Z0-9_]*)\s*:\s*&\s*(?:'static\s+)?str\s*=\s*\"([^\"]*)\"", text
            ):
                self.consts.setdefault(name, set()).add(value)
        self.errors = []
        # (section, name) -> where it is read
        self.reads = {}
        for path, text in self.files.items():
            for m in re.finditer(r"\benv\s*\.\s*([a-z_][a-z0-9_]*)\s*(?:::<[^>]*>)?\s*\(([^()]*)\)", text):
                method, arg = m.group(1), m.group(2).strip()
                where = f"{path.relative_to(src.parent)}:{text.count(chr(10), 0, m.start()) + 1}"
                section = ENV_METHODS.get(method)
                if section is None:
                    self.errors.append(f"{where}: env.{method}(...) is not a read this check knows; teach scripts/config_check.py")
                    continue
                names = self.resolve(arg, text[: m.start()])
                if not names:
                    self.errors.append(
                        f"{where}: cannot tell which name env.{method}({arg}) reads: use a string literal or a const"
                    )
                for name in names:
                    self.reads.setdefault((section, name), where)
        self.crons = set()
        for name, values in self.consts.items():
            if name.endswith("_CRON"):
                self.crons |= values

    def resolve(self, arg: str, before: str) -> set:
        """The names an argument stands for; empty when it cannot be told."""
        literal = re.fullmatch(r'"([^"]+)"', arg)
        if literal:
            return {literal.group(1)}
        path = re.fullmatch(r"&?\s*(?:[a-z_][a-z0-9_]*::)*([A-Z][A-Z0-9_]*)", arg)
        if path:
            values = self.consts.get(path.group(1), set())
            return values if len(values) == 1 else set()
        local = re.fullmatch(r"&?\s*([a-z_][a-z0-9_]*)(?:\.clone\(\))?", arg)
        if local:
            bound = re.findall(rf"\blet\s+{local.group(1)}\s*=\s*([^;]+);", before)
            if bound and re.search(r"\.binding\(\)\s*$", bound[-1].strip()):
                return self.limiter_bindings()
            if bound and re.match(r"(?:[a-z_]+::)*shards::binding\(", bound[-1].strip()):
                return self.shard_bindings()
        return set()

    def shard_bindings(self) -> set:
        """The string literals of `const SHARD_BINDINGS` (the shards' D1 bindings)."""
        names = set()
        for text in self.files.values():
            for m in re.finditer(r"\bconst\s+SHARD_BINDINGS\s*:[^=]*=\s*&?\[([^\]]*)\]", text):
                names |= set(re.findall(r'"([A-Z][A-Z0-9_]*)"', m.group(1)))
        return names

    def limiter_bindings(self) -> set:
        """The string literals `fn binding` returns (the rate limiters' binding names)."""
        names = set()
        for text in self.files.values():
            for m in re.finditer(r"\bfn\s+binding\s*\([^)]*\)\s*->\s*&\s*'static\s+str\s*\{", text):
                depth, i = 1, m.end()
                while depth and i < len(text):
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    i += 1
                names |= set(re.findall(r'"([A-Z][A-Z0-9_]*)"', text[m.end() : i]))
        return names


def environments(config: dict) -> dict:
    envs = {"local (top level)": config}
    for name in DEPLOYED:
        if name not in config.get("env", {}):
            raise SystemExit(f"wrangler.toml: no [env.{name}]")
        envs[name] = config["env"][name]
    for name in config.get("env", {}):
        if name not in DEPLOYED:
            envs[name] = config["env"][name]
    return envs


def declared(env: dict, section: str) -> set:
    value = env.get(section)
    if section == "vars":
        return set((value or {}).keys())
    if section == "secrets":
        return set((value or {}).get("required", []))
    if section == "assets":
        return {value["binding"]} if value and "binding" in value else set()
    if section == "queues":
        return {q["binding"] for q in (value or {}).get("producers", [])}
    if section == "durable_objects":
        return {b["name"] for b in (value or {}).get("bindings", [])}
    key = "name" if section == "ratelimits" else "binding"
    return {b[key] for b in (value or [])}


def check(root: pathlib.Path, deploy: str | None, migrations: bool) -> list:
    problems = []
    config = tomllib.loads((root / "wrangler.toml").read_text())
    code = Code(root / "src")
    problems += code.errors
    if not code.reads:
        problems.append("src/: found no env reads at all; the check's patterns no longer match the code")
    envs = environments(config)
    top_limits = {r["name"]: r.get("simple") for r in config.get("ratelimits", [])}
    names = {}
    namespaces = {}
    for env_name, env in envs.items():
        where = f"wrangler.toml [{env_name}]"
        for (section, name), read_at in sorted(code.reads.items()):
            if name not in declared(env, section):
                problems.append(f"{where}: {section} lacks {name} (read at {read_at})")
        for section in ("vars", "secrets", "d1_databases", "ratelimits"):
            for name in sorted(declared(env, section) - {n for (s, n) in code.reads if s == section}):
                print(f"note: {where}: {section} declares {name}, which the code does not read", file=sys.stderr)
        for name in declared(env, "secrets") & declared(env, "vars"):
            problems.append(f"{where}: secret {name} has a value under [vars]; secrets are set with `wrangler secret put`")
        for db in env.get("d1_databases", []):
            if db.get("migrations_dir") != "migrations":
                problems.append(f"{where}: D1 binding {db.get('binding')} needs migrations_dir = \"migrations\"")
            for key in ("database_name", "database_id"):
                if not db.get(key):
                    problems.append(f"{where}: D1 binding {db.get('binding')} has no {key}")
        seen = set()
        for limiter in env.get("ratelimits", []):
            ns = str(limiter.get("namespace_id"))
            if ns in seen:
                problems.append(f"{where}: namespace_id {ns} used twice")
            seen.add(ns)
            namespaces.setdefault(ns, set()).add(env_name)
            if env is not config and limiter.get("simple") != top_limits.get(limiter["name"]):
                problems.append(
                    f"{where}: {limiter['name']} is {limiter.get('simple')}, the top level's is {top_limits.get(limiter['name'])}"
                )
        crons = set(env.get("triggers", {}).get("crons", []))
        if crons != code.crons:
            problems.append(f"{where}: crons {sorted(crons)}, the code runs {sorted(code.crons)}")
        obs = env.get("observability", {})
        if not obs.get("enabled") or not obs.get("logs", {}).get("enabled", True):
            problems.append(f"{where}: [observability] must be enabled (the request log lines)")
        if obs.get("logs", {}).get("invocation_logs", True):
            problems.append(f"{where}: observability.logs.invocation_logs must be false (they record URLs and headers)")
        if obs.get("traces", {}).get("enabled", False):
            problems.append(f"{where}: observability.traces must stay off (spans record URLs)")
        env_worker = env.get("name", config.get("name"))
        if env_worker in names:
            problems.append(f"{where}: worker name {env_worker} is also {names[env_worker]}'s")
        names[env_worker] = env_name
        if env_name in DEPLOYED:
            if env.get("workers_dev", True):
                problems.append(f"{where}: workers_dev must be false (serve only the routes)")
            routes = env.get("routes", [])
            if not routes:
                problems.append(f"{where}: no routes")
            for route in routes:
                host = route["pattern"] if isinstance(route, dict) else route
                host = host.split("/", 1)[0]
                if "_" in host:
                    problems.append(f"{where}: route {host} has an `_` (Okta refuses such base URLs)")
        if env_name == "production" and env.get("vars", {}).get("SCIM_RATE_LIMIT") == "off":
            problems.append(f"{where}: SCIM_RATE_LIMIT = \"off\" is for benchmarks, never production")
    for ns, users in namespaces.items():
        if {"staging", "production"} <= users:
            problems.append(f"wrangler.toml: rate-limit namespace_id {ns} is shared by staging and production")

    if deploy:
        env = envs[deploy]
        ids = {
            e: {db["binding"]: db.get("database_id", "") for db in envs[e].get("d1_databases", [])}
            for e in DEPLOYED
        }
        by_id = {}
        for binding, db_id in ids[deploy].items():
            if db_id in by_id and not PLACEHOLDER_ID.match(db_id):
                problems.append(
                    f"wrangler.toml [{deploy}]: D1 bindings {by_id[db_id]} and {binding} share one database: "
                    f"each shard is a database of its own (README, Adding a shard)"
                )
            by_id.setdefault(db_id, binding)
        for binding, db_id in ids[deploy].items():
            if PLACEHOLDER_ID.match(db_id) or not UUID.match(db_id):
                problems.append(
                    f"wrangler.toml [{deploy}]: D1 binding {binding} has the placeholder id {db_id!r}: "
                    f"`npx wrangler d1 create` prints the real one (docs/operations.md)"
                )
            other = [e for e in DEPLOYED if e != deploy and ids[e].get(binding) == db_id]
            if other and not PLACEHOLDER_ID.match(db_id):
                problems.append(f"wrangler.toml [{deploy}]: D1 binding {binding} shares its database with {other[0]}")
        for route in env.get("routes", []):
            host = (route["pattern"] if isinstance(route, dict) else route).split("/", 1)[0]
            if PLACEHOLDER_HOST.search(host):
                problems.append(f"wrangler.toml [{deploy}]: route {host} is a placeholder: put the service's host name")

    if migrations:
        problems += check_migrations(root / "migrations")
    return problems


def check_migrations(folder: pathlib.Path) -> list:
    problems = []
    files = sorted(folder.glob("*.sql"))
    if not files:
        return [f"{folder}: no migrations"]
    numbers = {}
    for f in files:
        m = re.fullmatch(r"(\d{4})_[a-z0-9_]+\.sql", f.name)
        if not m:
            problems.append(f"migrations/{f.name}: not named NNNN_<name>.sql")
            continue
        if m.group(1) in numbers:
            problems.append(f"migrations/{f.name}: number {m.group(1)} is also {numbers[m.group(1)]}'s")
        numbers[m.group(1)] = f.name
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = ON")
    # Migration 0018's substring index is an FTS5 table with the trigram tokenizer (SQLite 3.34
    # and later, built with FTS5, as D1's is). Without them here the migrations could not be
    # checked: say so, rather than call a migration broken.
    try:
        db.execute("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize = 'trigram')")
        db.execute("DROP TABLE temp.trigram_probe")
    except sqlite3.Error as e:
        return problems + [
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5 trigram tokenizer ({e}), "
            "which migration 0018 needs: check the migrations with a Python whose SQLite is 3.34 or later with FTS5"
        ]
    for f in files:  # in file-name order, as wrangler applies them
        try:
            db.executescript(f.read_text())
        except sqlite3.Error as e:
            problems.append(f"migrations/{f.name}: does not apply after the ones before it: {e}")
            break
    db.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent, type=pathlib.Path)
    parser.add_argument("--deploy", choices=DEPLOYED)
    parser.add_argument("--migrations", action="store_true")
    args = parser.parse_args()
    problems = check(args.root, args.deploy, args.migrations)
    for p in problems:
        print(f"config check: {p}", file=sys.stderr)
    if problems:
        return 1
    code = Code(args.root / "src")
    reads = ", ".join(f"{s}:{n}" for (s, n) in sorted(code.reads))
    what = "every environment declares " + reads
    if args.migrations:
        what += "; the migrations apply to a fresh database"
    if args.deploy:
        what += f"; {args.deploy} has no placeholder"
    print(f"config check: ok ({what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
