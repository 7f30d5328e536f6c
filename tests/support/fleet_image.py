"""The fleet's test-host image (tests/fleet/testhost/): its build context and a content-keyed cache.

The context is the Dockerfile and files/ plus `outer/`, copied from this machine so apt and pip on a
test host behave as they do here: apt sources and `Acquire::*` options, the CA certificates a
re-signing proxy needs, and pip's configuration merged into one /etc/pip.conf (with the files it
names, such as a constraints file). The image is labelled with a digest of the whole context and the
base image's id; a build is skipped when an image with that label exists.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TESTHOST_DIR = Path(__file__).resolve().parents[1] / "fleet" / "testhost"
IMAGE_REPOSITORY = "localhost/oci-mlflow-testhost"
CONTENT_LABEL = "oracle.mlflow.testhost.content"
# Where pip on this machine reads configuration, lowest precedence first (pip's own order).
PIP_CONFIG_FILES = ("/etc/xdg/pip/pip.conf", "/etc/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf")
# Local package mirrors the test hosts get bind-mounted read-only (when present), at the same paths.
PIP_MIRRORS = ("/opt/wheels", "/opt/pypi", "/opt/pypi-more")
# pip settings whose values are files on this machine: copied into the image at the same path.
PIP_FILE_KEYS = ("constraint", "requirement", "cert", "client-cert")


def ensure_image(base: str) -> str:
    """The tag of the test-host image for `base`, built only when no image has this content."""
    with tempfile.TemporaryDirectory(prefix="oci-mlflow-testhost-") as context:
        make_context(Path(context))
        digest = context_digest(Path(context), base)
        tag = f"{IMAGE_REPOSITORY}:{digest[:16]}"
        found = subprocess.run(["docker", "images", "-q", "--filter", f"label={CONTENT_LABEL}={digest}"],
                               check=True, capture_output=True, text=True).stdout.split()
        if found:
            # Same content under another tag (or the tag removed): name it, no build.
            subprocess.run(["docker", "tag", found[0], tag], check=True, capture_output=True)
            return tag
        # --network host: the build's apt traffic leaves as this machine's does (DESIGN.md section 3).
        build = subprocess.run(["docker", "build", "-q", "--network", "host", "--build-arg", f"BASE={base}",
                                "--label", f"{CONTENT_LABEL}={digest}", "-t", tag, context],
                               check=False, capture_output=True, text=True)
        if build.returncode:
            raise RuntimeError(f"test-host image build failed:\n{build.stdout[-3000:]}{build.stderr[-3000:]}")
        return tag


def make_context(context: Path) -> None:
    shutil.copytree(TESTHOST_DIR, context, dirs_exist_ok=True)
    outer = context / "outer"
    _copy_matching(outer / "apt-sources", Path("/etc/apt/sources.list.d"), ("*.sources", "*.list"))
    if Path("/etc/apt/sources.list").is_file():
        shutil.copy(Path("/etc/apt/sources.list"), outer / "apt-sources" / "00-outer.list")
    _copy_matching(outer / "apt-conf", Path("/etc/apt/apt.conf.d"), ("*",),
                   keep=lambda p: "Acquire" in p.read_text(errors="replace"))
    _copy_matching(outer / "ca", Path("/usr/local/share/ca-certificates"), ("*.crt",))
    write_pip_config(outer / "pip")


def write_pip_config(root: Path) -> None:
    """`root` mirrors the image's / : etc/pip.conf, the merged configuration this machine's pip
    uses (files, then PIP_* variables, as pip ranks them), and the files it names."""
    config = configparser.ConfigParser(interpolation=None)
    config.read([os.path.expanduser(path) for path in PIP_CONFIG_FILES])
    for name, value in os.environ.items():
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
            config.setdefault("global", {})
            config["global"][name[4:].lower().replace("_", "-")] = value
    for section in config.sections():
        for key in PIP_FILE_KEYS:
            for value in config[section].get(key, "").split():
                source = Path(value)
                if source.is_absolute() and source.is_file() and not value.startswith("/etc/ssl/"):
                    # /etc/ssl/... is the system bundle; the image makes its own from the same CAs.
                    target = root / value.lstrip("/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source, target)
    text = io.StringIO()
    config.write(text)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "pip.conf").write_text(text.getvalue())


def context_digest(context: Path, base: str) -> str:
    """SHA-256 over every file (path, mode, bytes) and the base image's id."""
    base_id = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", base],
                             check=True, capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha256(json.dumps({"base": base_id}).encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(context)}\0{path.stat().st_mode & 0o777:o}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pip_mirror_mounts() -> list[str]:
    """`-v` arguments that give a test host this machine's local package mirrors, read-only."""
    return [arg for path in PIP_MIRRORS if Path(path).is_dir() for arg in ("-v", f"{path}:{path}:ro")]


def _copy_matching(target: Path, source: Path, patterns: tuple[str, ...], keep=lambda path: True) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        for path in source.glob(pattern) if source.is_dir() else ():
            if path.is_file() and keep(path):
                shutil.copy(path, target / path.name)
