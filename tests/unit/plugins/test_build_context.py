"""module_utils/_build_context.py: the build hash, from the context on disk, without an engine."""

from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._build_context import (
    compute_build_hash,
    dockerfile_location,
    read_dockerignore,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

FILES = {
    "Dockerfile": "FROM scratch\nCOPY . /\n",
    "a.txt": "alpha\n",
    "sub/b.sh": "#!/bin/sh\necho b\n",
    ".dockerignore": "# comment\n*.log\nsub/keep/**\n",
    "x.log": "ignored\n",
}
ARGS = {"B": "2", "A": "1"}
LABELS = {"l": "v"}


def make_context(root, files=FILES, order=None):
    """Write ``files`` (in ``order``), 0644 and 0755 for the script, and a symlink ``link`` -> a.txt."""
    root.mkdir(parents=True)
    for name in order or files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name])
        path.chmod(0o755 if name.endswith(".sh") else 0o644)
    (root / "sub").chmod(0o755)
    (root / "link").symlink_to("a.txt")
    return root


@pytest.fixture
def ctx(tmp_path):
    return make_context(tmp_path / "ctx")


def build_hash(context, dockerfile="Dockerfile", args=ARGS, labels=LABELS, target="final"):
    return compute_build_hash(str(context), dockerfile, args, labels, target)


def test_the_recipe_is_the_one_of_0_1_0(ctx):
    """Images built since 0.1.0 carry hashes made this way: a change of recipe must bump HASH_VERSION
    (and then this value), or every image is rebuilt once without saying why."""
    assert build_hash(ctx) == "be6a50dc38bd7b374e193e8bc1f2b7fefdcd45d3a356808ddf6fd17410d117d9"


def test_same_context_same_hash_wherever_and_whenever_written(ctx, tmp_path):
    first = build_hash(ctx)
    assert build_hash(ctx) == first

    reversed_order = list(reversed(list(FILES)))
    elsewhere = make_context(tmp_path / "other" / "place", order=reversed_order)
    os.utime(elsewhere / "a.txt", (0, 0))  # timestamps are not part of it
    assert build_hash(elsewhere) == first


def test_args_and_labels_are_order_independent(ctx):
    assert build_hash(ctx, args={"A": "1", "B": "2"}, labels=dict(LABELS)) == build_hash(ctx)


@pytest.mark.parametrize("change", [
    pytest.param(lambda c: (c / "a.txt").write_text("beta\n"), id="file content"),
    pytest.param(lambda c: (c / "new.txt").write_text("new\n"), id="new file"),
    pytest.param(lambda c: (c / "a.txt").rename(c / "renamed.txt"), id="renamed file"),
    pytest.param(lambda c: (c / "sub" / "b.sh").unlink(), id="removed file"),
    pytest.param(lambda c: (c / "empty").mkdir(), id="new directory"),
    pytest.param(lambda c: (c / "a.txt").chmod(0o755), id="exec bit"),
    pytest.param(lambda c: (c / "sub" / "b.sh").chmod(0o700), id="permission bits"),
    pytest.param(lambda c: (c / "Dockerfile").write_text("FROM scratch\n"), id="Dockerfile"),
    pytest.param(lambda c: (c / ".dockerignore").write_text("*.log\n"), id=".dockerignore itself"),
    pytest.param(lambda c: ((c / "link").unlink(), (c / "link").symlink_to("sub/b.sh")), id="symlink target"),
])
def test_a_change_in_what_the_engine_receives_changes_the_hash(ctx, change):
    before = build_hash(ctx)
    change(ctx)
    assert build_hash(ctx) != before


@pytest.mark.parametrize("option, value", [
    ("args", {"A": "1", "B": "3"}),
    ("args", {"A": "1"}),
    ("labels", {"l": "w"}),
    ("labels", {}),
    ("target", "other"),
    ("target", None),
])
def test_build_options_change_the_hash(ctx, option, value):
    assert build_hash(ctx, **{option: value}) != build_hash(ctx)


def test_dockerfile_name_is_part_of_it(ctx):
    shutil.copy(ctx / "Dockerfile", ctx / "Containerfile")
    with_both = build_hash(ctx)
    assert build_hash(ctx, dockerfile="Containerfile") != with_both


def test_files_excluded_by_dockerignore_do_not_count(ctx):
    (ctx / "sub" / "keep").mkdir()  # the directory itself is sent: sub/keep/** matches only below it
    before = build_hash(ctx)
    (ctx / "x.log").write_text("changed, but never sent\n")
    (ctx / "more.log").write_text("new, never sent\n")
    (ctx / "sub" / "keep" / "deep.txt").write_text("excluded by sub/keep/**\n")
    assert build_hash(ctx) == before


def test_an_exclamation_mark_includes_again(ctx):
    (ctx / ".dockerignore").write_text("*.log\n!x.log\n")
    before = build_hash(ctx)
    (ctx / "other.log").write_text("still excluded\n")
    assert build_hash(ctx) == before
    (ctx / "x.log").write_text("included again: counts\n")
    assert build_hash(ctx) != before


def test_the_dockerfile_counts_even_when_dockerignore_excludes_it(ctx):
    (ctx / ".dockerignore").write_text("Dockerfile\n")
    before = build_hash(ctx)
    (ctx / "Dockerfile").write_text("FROM scratch\nLABEL x=y\n")
    assert build_hash(ctx) != before


def test_symlinks_are_hashed_as_links_not_followed(ctx, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("one\n")
    (ctx / "out").symlink_to(outside)
    before = build_hash(ctx)
    outside.write_text("two\n")  # the engine receives the link, not this file
    assert build_hash(ctx) == before


def test_a_dockerfile_outside_the_context(ctx, tmp_path):
    outside = tmp_path / "Dockerfile.outside"
    outside.write_text((ctx / "Dockerfile").read_text())
    before = build_hash(ctx, dockerfile=str(outside))
    assert before != build_hash(ctx)  # inside or outside is part of it
    outside.write_text("FROM scratch\nLABEL x=y\n")
    assert build_hash(ctx, dockerfile=str(outside)) != before


def test_an_unreadable_context_is_an_error(ctx):
    with pytest.raises(OracleMlflowError) as caught:
        build_hash(ctx, dockerfile="sub")  # a directory where the Dockerfile should be
    assert caught.value.kind == "error"
    assert caught.value.message.startswith("Cannot read the build context %s: " % ctx)


def test_read_dockerignore(tmp_path):
    assert read_dockerignore(str(tmp_path)) == []
    (tmp_path / ".dockerignore").write_text("# comment\n\n  *.log  \n!keep.log\n")
    assert read_dockerignore(str(tmp_path)) == ["*.log", "!keep.log"]


def test_dockerfile_location():
    assert dockerfile_location("/ctx", "Dockerfile") == ("/ctx/Dockerfile", "Dockerfile")
    assert dockerfile_location("/ctx", "/ctx/sub/Dockerfile") == ("/ctx/sub/Dockerfile", "sub/Dockerfile")
    assert dockerfile_location("/ctx", "../Dockerfile") == ("/ctx/../Dockerfile", None)
    assert dockerfile_location("/ctx", "/elsewhere/Dockerfile") == ("/elsewhere/Dockerfile", None)
