#!/usr/bin/env python3
"""Tests of scripts/config_check.py against broken copies of the project: a check that passes
everything would look the same as one that works. `make test` runs it (about a second).

Each case copies wrangler.toml, src/ and migrations/ into a temporary directory, breaks one
thing, and expects the check to fail saying what; the untouched copy must pass.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts" / "config_check.py"
REAL_ID = "3f2b8c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b"
OTHER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


class Copy:
    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="config-check-"))
        shutil.copy(ROOT / "wrangler.toml", self.dir / "wrangler.toml")
        shutil.copytree(ROOT / "src", self.dir / "src")
        shutil.copytree(ROOT / "migrations", self.dir / "migrations")

    def edit(self, rel: str, old: str, new: str, count: int = 1):
        path = self.dir / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, count))

    def run(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(CHECK), "--root", str(self.dir), *args],
            capture_output=True,
            text=True,
        )

    def deployable(self):
        """Real-looking database ids and hosts in both deployed environments."""
        toml = (self.dir / "wrangler.toml").read_text()
        envs = toml.split("\n[env.")
        for i, part in enumerate(envs[1:], start=1):
            new_id = REAL_ID if part.startswith("staging") else OTHER_ID
            # Each shard a database of its own: DB gets the id, DB_<n> the id ending in n.
            part = part.replace('database_id = "00000000-0000-0000-0000-000000000000"', f'database_id = "{new_id}"', 1)
            n = 0
            while 'database_id = "00000000-0000-0000-0000-000000000000"' in part:
                n += 1
                part = part.replace('database_id = "00000000-0000-0000-0000-000000000000"', f'database_id = "{new_id[:-1]}{n}"', 1)
            envs[i] = re.sub(r'pattern = "([a-z-]+)\.example\.com"', r'pattern = "\1.peakon-scim.net"', part)
        (self.dir / "wrangler.toml").write_text("\n[env.".join(envs))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ConfigCheck(unittest.TestCase):
    def setUp(self):
        self.copy = Copy()

    def tearDown(self):
        self.copy.close()

    def assertFails(self, says: str, *args):
        r = self.copy.run(*args)
        self.assertEqual(r.returncode, 1, f"the check passed; expected {says!r}\n{r.stdout}{r.stderr}")
        self.assertIn(says, r.stderr)

    def assertPasses(self, *args):
        r = self.copy.run(*args)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_the_project_as_it_is_passes(self):
        self.assertPasses("--migrations")

    def test_a_var_missing_from_one_environment_fails(self):
        self.copy.edit("wrangler.toml", '[env.staging.vars]\nSCIM_RATE_LIMIT = "on"\n', "[env.staging.vars]\n")
        self.assertFails("[staging]: vars lacks SCIM_RATE_LIMIT")

    def test_a_new_var_the_code_reads_fails_until_declared(self):
        self.copy.edit(
            "src/lib.rs",
            "let now = Timestamp(Date::now().as_millis() as i64);",
            'let _region = env.var("REGION_HINT");\n        let now = Timestamp(Date::now().as_millis() as i64);',
        )
        r = self.copy.run()
        self.assertEqual(r.returncode, 1, r.stderr)
        for env in ("local (top level)", "staging", "production"):
            self.assertIn(f"[{env}]: vars lacks REGION_HINT (read at src/lib.rs:", r.stderr)

    def test_a_new_secret_named_by_a_const_fails(self):
        self.copy.edit(
            "src/app/plumbing/context.rs",
            "pub const CREDENTIAL_SECRET",
            'pub const WEBHOOK_SECRET: &str = "WEBHOOK_SIGNING_SECRET";\npub const CREDENTIAL_SECRET',
        )
        self.copy.edit(
            "src/lib.rs",
            "let mut random = PlatformRandom;",
            "let _hook = env.secret(crate::app::plumbing::context::WEBHOOK_SECRET);\n        let mut random = PlatformRandom;",
        )
        self.assertFails("secrets lacks WEBHOOK_SIGNING_SECRET")

    def test_a_read_whose_name_cannot_be_told_fails(self):
        self.copy.edit(
            "src/lib.rs",
            "let mut random = PlatformRandom;",
            'let which = format!("X{}", 1);\n        let _x = env.var(&which);\n        let mut random = PlatformRandom;',
        )
        self.assertFails("cannot tell which name env.var(&which) reads")

    def test_a_new_kind_of_binding_fails(self):
        self.copy.edit(
            "src/lib.rs",
            "let mut random = PlatformRandom;",
            'let _ai = env.ai("AI");\n        let mut random = PlatformRandom;',
        )
        self.assertFails("env.ai(...) is not a read this check knows")

    def test_a_new_limiter_fails_until_every_environment_has_it(self):
        self.copy.edit(
            "src/app/plumbing/throttle.rs",
            'Limiter::Health => "HEALTH_LIMITER",',
            'Limiter::Health => "HEALTH_LIMITER",\n            #[allow(unreachable_patterns)]\n            _ => "SIGNIN_LIMITER",',
        )
        self.assertFails("[production]: ratelimits lacks SIGNIN_LIMITER")

    def test_a_limiter_missing_or_different_in_production_fails(self):
        self.copy.edit("wrangler.toml", '[[env.production.ratelimits]]\nname = "HEALTH_LIMITER"', '[[env.production.ratelimits]]\nname = "HEALTH_LIMITER_OLD"')
        self.assertFails("[production]: ratelimits lacks HEALTH_LIMITER")
        self.copy.close()
        self.copy = Copy()
        self.copy.edit("wrangler.toml", 'namespace_id = "4221"\nsimple = { limit = 1000, period = 10 }', 'namespace_id = "4221"\nsimple = { limit = 5000, period = 10 }')
        self.assertFails("SCIM_RATE_LIMITER is {'limit': 5000")

    def test_a_namespace_shared_by_staging_and_production_fails(self):
        self.copy.edit("wrangler.toml", 'namespace_id = "4221"', 'namespace_id = "4211"')
        self.assertFails("namespace_id 4211 is shared by staging and production")

    def test_a_secret_given_a_value_fails(self):
        self.copy.edit("wrangler.toml", '[env.production.vars]\n', '[env.production.vars]\nADMIN_TOKEN = "oops"\n')
        self.assertFails("secret ADMIN_TOKEN has a value under [vars]")

    def test_a_shard_missing_from_an_environment_fails(self):
        self.copy.edit("wrangler.toml", '[[env.production.d1_databases]]\nbinding = "DB_1"', '[[env.production.d1_databases]]\nbinding = "DB_9"')
        self.assertFails("[production]: d1_databases lacks DB_1")

    def test_a_new_shard_fails_until_every_environment_has_it(self):
        self.copy.edit("src/store/shards.rs", '&["DB", "DB_1"]', '&["DB", "DB_1", "DB_2"]')
        self.assertFails("[staging]: d1_databases lacks DB_2")

    def test_two_shards_on_one_database_fail(self):
        self.copy.deployable()
        self.assertPasses("--deploy", "staging")
        self.copy.edit("wrangler.toml", f'database_id = "{REAL_ID[:-1]}1"', f'database_id = "{REAL_ID}"')
        self.assertFails("D1 bindings DB and DB_1 share one database", "--deploy", "staging")

    def test_a_missing_secret_name_fails(self):
        self.copy.edit("wrangler.toml", '[env.staging.secrets]\nrequired = ["ADMIN_TOKEN", "CREDENTIAL_SECRET", "WEBHOOK_SECRET_KEY"]', '[env.staging.secrets]\nrequired = ["ADMIN_TOKEN", "WEBHOOK_SECRET_KEY"]')
        self.assertFails("[staging]: secrets lacks CREDENTIAL_SECRET")

    def test_a_cron_the_code_does_not_know_fails(self):
        self.copy.edit("wrangler.toml", '[env.production.triggers]\ncrons = ["17 3 * * *", "*/5 * * * *"]', '[env.production.triggers]\ncrons = ["17 3 * * *"]')
        self.assertFails("[production]: crons")

    def test_invocation_logs_fail(self):
        self.copy.edit("wrangler.toml", "[env.staging.observability.logs]\nenabled = true\ninvocation_logs = false", "[env.staging.observability.logs]\nenabled = true")
        self.assertFails("[staging]: observability.logs.invocation_logs must be false")

    def test_an_underscore_in_a_route_fails(self):
        self.copy.edit("wrangler.toml", 'pattern = "scim.example.com"', 'pattern = "scim_edge.example.com"')
        self.assertFails("route scim_edge.example.com has an `_`")

    def test_rate_limits_off_in_production_fails(self):
        self.copy.edit("wrangler.toml", '[env.production.vars]\n# Never "off" in production (scripts/config_check.py refuses it).\nSCIM_RATE_LIMIT = "on"', '[env.production.vars]\nSCIM_RATE_LIMIT = "off"')
        self.assertFails("never production")

    def test_deploying_with_placeholders_fails_and_with_real_values_passes(self):
        self.assertFails("D1 binding DB has the placeholder id", "--deploy", "staging")
        self.assertFails("route scim.example.com is a placeholder", "--deploy", "production")
        self.copy.deployable()
        self.assertPasses("--deploy", "staging")
        self.assertPasses("--deploy", "production")
        self.copy.edit("wrangler.toml", OTHER_ID, REAL_ID)
        self.assertFails("shares its database with staging", "--deploy", "production")

    def test_a_migration_that_does_not_apply_fails(self):
        (self.copy.dir / "migrations" / "0015_broken.sql").write_text("ALTER TABLE no_such_table ADD COLUMN x TEXT;\n")
        self.assertFails("migrations/0015_broken.sql: does not apply", "--migrations")

    def test_a_migration_number_used_twice_fails(self):
        (self.copy.dir / "migrations" / "0013_again.sql").write_text("SELECT 1;\n")
        self.assertFails("number 0013 is also", "--migrations")


WRANGLER = ROOT / "node_modules" / ".bin" / "wrangler"


class MigrationsStopAtTheFirstFailure(unittest.TestCase):
    """`make deploy` relies on `wrangler d1 migrations apply` applying in order and stopping at
    the first migration that fails, with a non-zero exit status (scripts/deploy.sh): held here
    on a fresh local D1, so that a wrangler upgrade that changed it would be noticed. Without
    wrangler (make test installs it before running these tests) it fails: a skip proves nothing."""

    def test_a_failing_migration_stops_the_ones_after_it(self):
        self.assertTrue(WRANGLER.exists(), f"{WRANGLER} is missing: run the tests through make test")
        d = pathlib.Path(tempfile.mkdtemp(prefix="migrations-stop-"))
        try:
            (d / "m").mkdir()
            (d / "m" / "0001_a.sql").write_text("CREATE TABLE a (x);\n")
            (d / "m" / "0002_b.sql").write_text("ALTER TABLE nope ADD COLUMN y;\n")
            (d / "m" / "0003_c.sql").write_text("CREATE TABLE c (x);\n")
            (d / "wrangler.toml").write_text(
                'name = "t"\nmain = "index.js"\ncompatibility_date = "2026-04-01"\n'
                '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "t"\n'
                'database_id = "00000000-0000-0000-0000-000000000000"\nmigrations_dir = "m"\n'
            )
            env = {"CI": "true", "WRANGLER_SEND_METRICS": "false", "XDG_CONFIG_HOME": str(d / "cfg"), "PATH": os.environ["PATH"], "HOME": str(d)}
            wrangler = lambda *a: subprocess.run([str(WRANGLER), "d1", *a, "DB", "--local", "--persist-to", str(d / "state")], cwd=d, env=env, capture_output=True, text=True)
            applied = wrangler("migrations", "apply")
            self.assertNotEqual(applied.returncode, 0, applied.stdout)
            tables = wrangler("execute", "--json", "--command", "SELECT name FROM d1_migrations ORDER BY id")
            self.assertEqual(tables.returncode, 0, tables.stderr)
            names = [r["name"] for r in json.loads(tables.stdout)[0]["results"]]
            self.assertEqual(names, ["0001_a.sql"])
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=1)
