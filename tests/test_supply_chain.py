"""DH-2: hashed lock files, Django's series, bandit over survey/ and a secret scan of the
repository. The advisory audit needs the network: `make audit`, a release step."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import django
from django.test import SimpleTestCase
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
LOCKS = ("base", "prod", "dev", "tools")
BASELINE = ".secrets.baseline"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
# A URL, a file: link or an absolute path: what a mirror or an index leaks into a lock.
LOCATION = re.compile(r"://|\bfile:|(?:^|[\s=])/[\w.-]+/", re.MULTILINE)


def logical_lines(path: Path) -> list[str]:
    """The file's lines with backslash continuations joined and comments dropped."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def lock(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """requirements/<name>.txt as canonical name -> (version, hashes)."""
    locked = {}
    for line in logical_lines(REQUIREMENTS / f"{name}.txt"):
        requirement = Requirement(HASH.sub("", line))
        (pin,) = requirement.specifier
        locked[canonicalize_name(requirement.name)] = (
            pin.version,
            frozenset(HASH.findall(line)),
        )
    return locked


def direct_pins(name: str) -> dict[str, str]:
    """The pins of requirements/<name>.in and of the .in files it takes with -r."""
    pins: dict[str, str] = {}
    for line in logical_lines(REQUIREMENTS / f"{name}.in"):
        if line.startswith("-r "):
            pins |= direct_pins(line.removeprefix("-r ").removesuffix(".in"))
            continue
        requirement = Requirement(line)
        (pin,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = pin.version
    return pins


class LockFileTests(SimpleTestCase):
    def test_every_installed_line_is_pinned_and_hashed(self) -> None:
        for name in LOCKS:
            lines = logical_lines(REQUIREMENTS / f"{name}.txt")
            self.assertGreater(len(lines), 1, name)
            for line in lines:
                with self.subTest(lock=name, line=line[:60]):
                    # No option lines (-r, -e, --index-url, -f...): the lock stands alone.
                    self.assertFalse(line.startswith("-"), line)
                    try:
                        requirement = Requirement(HASH.sub("", line))
                    except InvalidRequirement as error:
                        self.fail(f"{line[:60]}: {error}")
                    self.assertIsNone(requirement.url)
                    self.assertEqual(
                        [s.operator for s in requirement.specifier], ["=="]
                    )
                    self.assertGreaterEqual(len(HASH.findall(line)), 1)

    def test_no_lock_names_a_local_path_or_an_index(self) -> None:
        for name in LOCKS:
            text = (REQUIREMENTS / f"{name}.txt").read_text(encoding="utf-8")
            with self.subTest(lock=name):
                self.assertEqual(LOCATION.findall(text), [])
                self.assertNotIn("index-url", text)
                self.assertNotIn("find-links", text)

    def test_each_direct_pin_is_the_locked_version(self) -> None:
        """The .in files (the table of direct dependencies) and the locks never drift."""
        for name in LOCKS:
            locked = lock(name)
            pins = direct_pins(name)
            self.assertTrue(pins, name)
            for package, version in pins.items():
                with self.subTest(lock=name, package=package):
                    self.assertEqual(locked.get(package, ("missing",))[0], version)

    def test_base_and_prod_lock_what_dev_locks(self) -> None:
        """dev.txt holds every version and hash of base.txt and prod.txt, so `make test`
        runs what production installs and `make audit` of dev.txt covers all three."""
        dev = lock("dev")
        for name in ("base", "prod"):
            for package, pinned in lock(name).items():
                with self.subTest(lock=name, package=package):
                    self.assertEqual(dev.get(package), pinned)

    def test_django_is_the_52_lts_and_installed_as_locked(self) -> None:
        version = Version(lock("base")["django"][0])
        self.assertEqual(version.release[:2], (5, 2))
        self.assertEqual(django.VERSION[:3], version.release)
        self.assertEqual(django.get_version(), str(version))
        # 5.2 is the LTS for the Python the project targets (requires-python >= 3.11).
        self.assertGreaterEqual(sys.version_info[:2], (3, 11))


class BanditTests(SimpleTestCase):
    """One bandit run over survey/ and a planted file, so a run that finds nothing
    cannot pass for a clean one."""

    returncode: int
    report: dict

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with tempfile.TemporaryDirectory() as folder:
            planted = Path(folder) / "planted.py"
            planted.write_text(
                "import subprocess\n\n\n"
                "def run(command: str) -> None:\n"
                "    subprocess.call(command, shell=True)\n",
                encoding="utf-8",
            )
            done = subprocess.run(
                [sys.executable, "-m", "bandit", "-r", "survey", folder, "-f", "json"]
                + ["-q"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        cls.returncode = done.returncode
        cls.report = json.loads(done.stdout or "{}")
        cls.planted = str(planted)

    def findings(self, severity: str, planted: bool) -> list[str]:
        return [
            f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
            for r in self.report["results"]
            if r["issue_severity"] == severity
            and (r["filename"] == self.planted) == planted
        ]

    def test_it_reports_a_planted_high_severity_finding(self) -> None:
        # 1 means "found something" (0 nothing, 2 a failed run).
        self.assertEqual(self.returncode, 1)
        self.assertEqual(len(self.findings("HIGH", planted=True)), 1)

    def test_survey_has_no_high_severity_finding(self) -> None:
        self.assertEqual(self.report["errors"], [])
        # Every module of survey/ was read (no file skipped as unparsable).
        self.assertGreater(self.report["metrics"]["_totals"]["loc"], 10_000)
        self.assertEqual(self.findings("HIGH", planted=False), [])


def scan_for_secrets(files: list[str], cwd: Path) -> dict[str, list[dict]]:
    """detect-secrets' findings in files, by path relative to cwd. It skips files
    outside cwd without a word, so each run stays inside its own folder."""
    done = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["results"]


class SecretScanTests(SimpleTestCase):
    """detect-secrets over every file git tracks, against the reviewed findings of
    .secrets.baseline (test passwords, documentation examples)."""

    files: list[str]
    scanned: dict[str, list[dict]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        tracked = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        # The baseline holds only hashes of reviewed findings; hashes look like secrets.
        cls.files = [name for name in tracked if name and name != BASELINE]
        cls.scanned = scan_for_secrets(cls.files, ROOT)

    def test_it_finds_a_planted_key_and_password(self) -> None:
        """The same scan finds what it is for, so an empty result is a clean one."""
        with tempfile.TemporaryDirectory() as folder:
            # Built here, so that this module itself holds no secret-shaped literal.
            lines = [
                'aws_access_key_id = "AKIA' + 'Z7QK3PLM9XW2RT5B"',
                "-----BEGIN RSA " + "PRIVATE KEY-----",
                "SECRET" + '_KEY = "' + "kq8#v!2mZ" * 6 + '"',
            ]
            Path(folder, "settings_local.py").write_text("\n".join(lines), "utf-8")
            found = scan_for_secrets(["settings_local.py"], Path(folder))
        self.assertEqual(
            {secret["type"] for secret in found["settings_local.py"]},
            {"AWS Access Key", "Private Key", "Secret Keyword"},
        )

    def test_every_finding_was_reviewed(self) -> None:
        self.assertGreater(len(self.files), 100)
        # The suite's own test passwords are findings: none at all means nothing was read.
        self.assertTrue(self.scanned)
        self.assertLessEqual(set(self.scanned), set(self.files))
        baseline = json.loads((ROOT / BASELINE).read_text(encoding="utf-8"))["results"]
        known = {
            (name, secret["type"], secret["hashed_secret"])
            for name, secrets in baseline.items()
            for secret in secrets
        }
        new = [
            f"{name}:{secret['line_number']} {secret['type']}"
            for name, secrets in self.scanned.items()
            for secret in secrets
            if (name, secret["type"], secret["hashed_secret"]) not in known
        ]
        self.assertEqual(
            new,
            [],
            "New secret-like strings. A real secret goes to an environment variable "
            "(and is rotated). A harmless one is reviewed into the baseline: "
            f".venv/bin/detect-secrets scan --baseline {BASELINE} && "
            f".venv/bin/detect-secrets audit {BASELINE}",
        )

    def test_the_baseline_records_no_real_secret(self) -> None:
        baseline = json.loads((ROOT / BASELINE).read_text(encoding="utf-8"))["results"]
        for name, secrets in baseline.items():
            for secret in secrets:
                with self.subTest(file=name, line=secret["line_number"]):
                    self.assertIs(secret.get("is_secret"), False)


class SettingsSecretTests(SimpleTestCase):
    """SECRET_KEY and the database credentials come from the environment only."""

    def settings_tree(self) -> ast.Module:
        return ast.parse((ROOT / "survey" / "settings.py").read_text(encoding="utf-8"))

    def test_secret_key_is_read_from_its_variable(self) -> None:
        values = [
            node.value
            for node in ast.walk(self.settings_tree())
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "SECRET_KEY" for t in node.targets)
        ]
        self.assertEqual(len(values), 2)  # the DEBUG default, and production's
        for value in values:
            self.assertIsInstance(value, ast.Call)
            self.assertIn(value.func.id, {"env_str", "env_required"})
            self.assertEqual(ast.literal_eval(value.args[0]), "SECRET_KEY")
        # Production has no default to fall back on.
        self.assertEqual(values[1].func.id, "env_required")

    def test_no_tracked_file_assigns_a_literal_secret_key(self) -> None:
        found = subprocess.run(
            ["git", "grep", "-nE", r"SECRET_KEY\s*=\s*['\"]"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(found.returncode, 1, found.stdout)  # 1: no match

    def test_database_credentials_come_from_database_url(self) -> None:
        tree = self.settings_tree()
        (databases,) = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "DATABASES" for t in node.targets)
        ]
        (default,) = databases.values
        self.assertEqual(default.func.id, "database_from_url")
        self.assertEqual(ast.unparse(default.args[0]), "env_str('DATABASE_URL')")
        # Nothing later writes a user, password or host into the entry.
        written = {
            ast.literal_eval(node.slice)
            for node in ast.walk(tree)
            if isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.slice, ast.Constant)
        }
        self.assertEqual(written & {"USER", "PASSWORD", "HOST", "NAME"}, set())
