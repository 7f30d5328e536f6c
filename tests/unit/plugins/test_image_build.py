"""plugins/modules/image_build.py: every decision (build, no-op, retag, force, push or not, absent), its check
mode and its failures, run through the module's main() against a fake engine client (tests/unit/plugins/
fake_docker.py in place of docker.APIClient): no Docker engine, no registry.

Each decision is run as community.docker's integration targets do: check, real, idempotent, idempotent-check;
``engine.changes`` proves that check mode changed nothing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import docker
import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from fake_docker import FakeDockerClient

from ansible_collections.oracle.mlflow.plugins.module_utils._build_context import HASH_LABEL
from ansible_collections.oracle.mlflow.plugins.modules import image_build

NAME = "oci-mlflow"
REGISTRY = "127.0.0.1:5443"
REPOSITORY = "%s/emulatorns/oci-mlflow" % REGISTRY
REFS = ["%s:latest" % NAME, "%s:1.0" % NAME]
PUSH_REFS = ["%s:latest" % REPOSITORY, "%s:1.0" % REPOSITORY]
UNAUTHORIZED = (401, "unauthorized: authentication required")
UNREACHABLE = (500, 'Get "https://127.0.0.1:5443/v2/": dial tcp 127.0.0.1:5443: connect: connection refused')


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@pytest.fixture
def engine(monkeypatch):
    """The fake engine every docker.APIClient() of the module gets; ``engine.connections`` counts them."""
    fake = FakeDockerClient()
    fake.connections = []

    def connect(**kwargs):
        fake.connections.append(kwargs)
        return fake
    monkeypatch.setattr(docker, "APIClient", connect)
    return fake


@pytest.fixture
def run(monkeypatch, engine):
    """run(args, check=False, diff=False) -> the module's result (``failed`` set when it failed)."""
    def exit_json(_module, **result):
        raise ModuleExit(result)

    def fail_json(_module, **result):
        raise ModuleExit(dict(result, failed=True))
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run_module(args, check=False, diff=False):
        with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
            with pytest.raises(ModuleExit) as exited:
                image_build.main()
        return exited.value.result
    return run_module


@pytest.fixture
def context(tmp_path):
    ctx = tmp_path / "context"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM base\nCOPY hello.txt /\n")
    (ctx / "hello.txt").write_text("hello\n")
    return ctx


@pytest.fixture
def args(context):
    def make(**overrides):
        build = {"path": str(context), "args": {"FLAVOUR": "plain"}, "labels": {"org.example": "yes"}}
        build.update(overrides.pop("build", {}))
        task = {"name": NAME, "tag": "latest", "additional_tags": ["1.0"], "build": build}
        task.update(overrides)
        return task
    return make


@pytest.fixture
def push_args(args):
    def make(**overrides):
        return args(**dict({"repository": REPOSITORY, "push": True}, **overrides))
    return make


def ok(result):
    assert not result.get("failed"), result.get("msg", result)
    return result


def failed(result, kind):
    assert result.get("failed") is True, result
    assert result["error_kind"] == kind, result
    return result


def docker_login(tmp_path, registry=REGISTRY):
    """A login stored as ocir_login writes it, in the test's HOME (tests/unit/plugins/conftest.py)."""
    config = tmp_path / "home" / ".docker" / "config.json"
    config.parent.mkdir(parents=True)
    auth = base64.b64encode(b"BEARER_TOKEN:token").decode()
    config.write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
    return config


# -- state=present: build, no-op, retag, force ------------------------------------------------------

def test_fresh_build_four_way(run, engine, args):
    checked = ok(run(args(), check=True, diff=True))
    assert checked["changed"] is True
    assert checked["actions"] == ["built %s" % REFS[0], "tagged %s" % REFS[1]]
    assert checked["image_id"] is None and checked["tags"] == REFS
    assert len(checked["build_hash"]) == 64
    assert checked["diff"] == {"before": {}, "after": {ref: {"build_hash": checked["build_hash"]} for ref in REFS}}
    assert engine.changes == []

    built = ok(run(args(), diff=True))
    assert built["changed"] is True
    assert built["actions"] == checked["actions"] and built["build_hash"] == checked["build_hash"]
    assert engine.changes == [("build", REFS[0]), ("tag", REFS[1])]
    [build] = engine.builds
    assert build["labels"] == {"org.example": "yes", HASH_LABEL: built["build_hash"]}
    assert build["buildargs"] == {"FLAVOUR": "plain"}
    assert (build["path"], build["dockerfile"], build["nocache"], build["pull"]) == (args()["build"]["path"],
                                                                                   "Dockerfile", False, False)
    assert all(engine.refs[ref] == built["image_id"] for ref in REFS)
    assert built["build_log"][0] == "Step 1/2 : FROM base"
    assert built["build_log"][-1] == "Successfully tagged %s" % REFS[0]
    after = {"id": built["image_id"], "build_hash": built["build_hash"]}
    assert built["diff"] == {"before": {}, "after": {ref: after for ref in REFS}}
    assert "push" not in built and "FLAVOUR" not in repr(built)

    engine.changes.clear()
    again = ok(run(args(), diff=True))
    assert again["changed"] is False and again["actions"] == [] and again["build_log"] == []
    assert again["image_id"] == built["image_id"]
    assert again["diff"]["before"] == again["diff"]["after"] == {ref: after for ref in REFS}

    again_checked = ok(run(args(), check=True))
    assert again_checked["changed"] is False and again_checked["image_id"] == built["image_id"]
    assert "diff" not in again_checked
    assert engine.changes == []


def test_build_options_reach_the_engine(run, engine, args):
    ok(run(args(build={"network": "host", "pull": True, "target": "final", "dockerfile": "Dockerfile"})))
    [build] = engine.builds
    assert (build["network_mode"], build["pull"], build["target"]) == ("host", True, "final")
    assert (build["rm"], build["forcerm"], build["decode"], build["timeout"]) == (True, True, True, None)


def test_the_build_log_keeps_the_last_50_lines(run, engine, args):
    engine.build_output = ["line %d" % number for number in range(100)]
    built = ok(run(args(build={"pull": True})))
    assert len(built["build_log"]) == 50
    assert built["build_log"][0] == "line 53" and built["build_log"][-1] == "Successfully tagged %s" % REFS[0]

    engine.build_output = []
    pulled = ok(run(args(build={"pull": True}, force=True)))
    assert pulled["build_log"][:2] == ["latest Pulling from library/base", "Step 1/2 : FROM base"]


def test_missing_tag_is_retagged_without_build_four_way(run, engine, args):
    built = ok(run(args()))
    del engine.refs[REFS[1]]
    engine.changes.clear()

    checked = ok(run(args(), check=True, diff=True))
    assert checked["changed"] is True and checked["actions"] == ["tagged %s" % REFS[1]]
    assert checked["image_id"] == built["image_id"]
    assert set(checked["diff"]["before"]) == {REFS[0]}
    assert engine.changes == []

    retagged = ok(run(args()))
    assert retagged["changed"] is True and retagged["actions"] == ["tagged %s" % REFS[1]]
    assert retagged["image_id"] == built["image_id"] and retagged["build_log"] == []
    assert engine.changes == [("tag", REFS[1])] and len(engine.builds) == 1

    assert ok(run(args()))["changed"] is False
    assert ok(run(args(), check=True))["changed"] is False


def test_a_tag_on_another_image_is_moved(run, engine, args):
    built = ok(run(args()))
    stale = engine.add_image({HASH_LABEL: "0" * 64})
    engine.refs[REFS[1]] = stale
    engine.changes.clear()

    moved = ok(run(args(), diff=True))
    assert moved["actions"] == ["tagged %s" % REFS[1]] and engine.changes == [("tag", REFS[1])]
    assert moved["diff"]["before"][REFS[1]] == {"id": stale, "build_hash": "0" * 64}
    assert engine.refs[REFS[1]] == built["image_id"]


def test_an_image_with_the_hash_is_found_under_another_name(run, engine, args):
    """An untagged (or otherwise named) image with the same build hash is tagged, not built again;
    the newest one when there are several."""
    first = ok(run(args()))
    engine.add_image({HASH_LABEL: "f" * 64}, "unrelated:latest")
    newer = engine.add_image({HASH_LABEL: first["build_hash"]})
    engine.changes.clear()

    checked = ok(run(args(name="%s-copy" % NAME, additional_tags=[]), check=True))
    assert checked["actions"] == ["tagged %s-copy:latest" % NAME] and checked["image_id"] == newer
    other = ok(run(args(name="%s-copy" % NAME, additional_tags=[])))
    assert other["actions"] == ["tagged %s-copy:latest" % NAME] and other["image_id"] == newer
    assert engine.changes == [("tag", "%s-copy:latest" % NAME)] and len(engine.builds) == 1


def test_changed_inputs_build_again(run, engine, args, context):
    first = ok(run(args()))
    (context / "hello.txt").write_text("hello again\n")

    checked = ok(run(args(), check=True))
    assert checked["actions"][0] == "built %s" % REFS[0] and checked["image_id"] is None
    assert checked["build_hash"] != first["build_hash"]

    rebuilt = ok(run(args()))
    assert rebuilt["image_id"] != first["image_id"] and len(engine.builds) == 2
    assert engine.refs[REFS[1]] == rebuilt["image_id"]
    assert first["image_id"] in engine.images_by_id  # left in place, untagged, as docker build does

    (context / "hello.txt").write_text("hello\n")  # back to the first inputs: retagged, not built
    back = ok(run(args()))
    assert back["image_id"] == first["image_id"] and back["build_log"] == [] and len(engine.builds) == 2


def test_force_rebuilds_four_way(run, engine, args):
    built = ok(run(args()))
    engine.changes.clear()

    checked = ok(run(args(force=True), check=True))
    assert checked["changed"] is True
    assert checked["actions"] == ["built %s" % REFS[0], "tagged %s" % REFS[1]] and checked["image_id"] is None
    assert engine.changes == []

    forced = ok(run(args(force=True)))
    assert forced["changed"] is True and forced["actions"] == checked["actions"]
    assert forced["image_id"] != built["image_id"] and forced["build_hash"] == built["build_hash"]
    assert engine.builds[-1]["nocache"] is True
    assert engine.changes == [("build", REFS[0]), ("tag", REFS[1])]

    assert ok(run(args(force=True)))["changed"] is True  # force is not idempotent, by design
    assert ok(run(args()))["changed"] is False


# -- push -------------------------------------------------------------------------------------------

def test_push_four_way(run, engine, push_args):
    tags = REFS + PUSH_REFS
    checked = ok(run(push_args(), check=True))
    assert checked["changed"] is True
    assert checked["actions"] == ["built %s" % REFS[0], "tagged %s" % REFS[1], "tagged %s" % PUSH_REFS[0],
                                  "tagged %s" % PUSH_REFS[1], "pushed %s" % PUSH_REFS[0], "pushed %s" % PUSH_REFS[1]]
    assert checked["tags"] == tags
    assert checked["push"] == {"repository": REPOSITORY, "digest": None, "pushed_tags": ["latest", "1.0"]}
    assert engine.changes == [] and engine.registry == {}

    pushed = ok(run(push_args()))
    assert pushed["changed"] is True and pushed["actions"] == checked["actions"]
    digest = engine.images_by_id[pushed["image_id"]].digest
    assert pushed["push"] == {"repository": REPOSITORY, "digest": digest, "pushed_tags": ["latest", "1.0"]}
    assert engine.registry == {REPOSITORY: {"latest": digest, "1.0": digest}}
    assert engine.changes[-2:] == [("push", PUSH_REFS[0]), ("push", PUSH_REFS[1])]

    engine.changes.clear()
    again = ok(run(push_args()))
    assert again["changed"] is False and again["actions"] == []
    assert again["push"] == {"repository": REPOSITORY, "digest": digest, "pushed_tags": []}
    assert engine.changes == [("push", PUSH_REFS[0]), ("push", PUSH_REFS[1])]  # the push proves it: no change

    engine.changes.clear()
    again_checked = ok(run(push_args(), check=True))
    assert again_checked["changed"] is False
    assert again_checked["push"] == {"repository": REPOSITORY, "digest": digest, "pushed_tags": []}
    assert engine.changes == []


def test_a_new_tag_for_a_pushed_image_is_a_change(run, engine, push_args):
    first = ok(run(push_args(additional_tags=[])))
    assert first["push"]["pushed_tags"] == ["latest"]

    checked = ok(run(push_args(additional_tags=["2.0"]), check=True))
    assert checked["changed"] is True and checked["push"]["pushed_tags"] == ["2.0"]
    assert checked["push"]["digest"] == first["push"]["digest"]

    tagged = ok(run(push_args(additional_tags=["2.0"])))  # every layer is there already: the change is the tag
    assert tagged["changed"] is True and tagged["push"]["pushed_tags"] == ["2.0"]
    assert tagged["actions"] == ["tagged %s:2.0" % NAME, "tagged %s:2.0" % REPOSITORY, "pushed %s:2.0" % REPOSITORY]
    assert engine.registry[REPOSITORY] == {"latest": first["push"]["digest"], "2.0": first["push"]["digest"]}


def test_a_tag_the_registry_points_elsewhere_is_pushed(run, engine, push_args):
    first = ok(run(push_args(additional_tags=[])))
    engine.registry[REPOSITORY]["latest"] = "sha256:%s" % ("e" * 64)  # someone pushed another image

    checked = ok(run(push_args(additional_tags=[]), check=True))
    assert checked["changed"] is True and checked["push"] == {"repository": REPOSITORY, "digest": None,
                                                              "pushed_tags": ["latest"]}
    moved = ok(run(push_args(additional_tags=[])))
    assert moved["changed"] is True and moved["push"]["pushed_tags"] == ["latest"]
    assert engine.registry[REPOSITORY]["latest"] == first["push"]["digest"]


def test_an_image_this_engine_never_pushed(run, engine, push_args):
    """Documented in check_mode: without RepoDigests the engine cannot tell that the registry has the image
    (check mode says push), and the real push finds every layer and the tag there (no change)."""
    built = ok(run(push_args(push=False, additional_tags=[])))
    image = engine.images_by_id[built["image_id"]]
    engine.registry[REPOSITORY] = {"latest": image.digest}
    engine.blobs[REPOSITORY] = set(image.layers)

    checked = ok(run(push_args(additional_tags=[]), check=True))
    assert checked["changed"] is True and checked["push"]["pushed_tags"] == ["latest"]
    pushed = ok(run(push_args(additional_tags=[])))
    assert pushed["changed"] is False
    assert pushed["push"] == {"repository": REPOSITORY, "digest": image.digest, "pushed_tags": []}


def test_layers_mounted_from_another_repository_count_as_pushed(run, engine, push_args):
    built = ok(run(push_args(push=False, additional_tags=[])))
    image = engine.images_by_id[built["image_id"]]
    other = "%s/emulatorns/other" % REGISTRY
    engine.blobs[other] = set(image.layers)
    engine.registry[REPOSITORY] = {"latest": image.digest}  # the tag is there too: only the mount is new

    pushed = ok(run(push_args(additional_tags=[])))
    assert pushed["changed"] is True and pushed["push"]["pushed_tags"] == ["latest"]


def test_push_with_the_name_as_repository(run, engine, args):
    name = "%s/emulatorns/by-name" % REGISTRY
    pushed = ok(run(args(name=name, additional_tags=[], push=True)))
    assert pushed["tags"] == ["%s:latest" % name]
    assert pushed["actions"] == ["built %s:latest" % name, "pushed %s:latest" % name]
    assert pushed["push"]["repository"] == name and engine.registry[name]["latest"] == pushed["push"]["digest"]


def test_an_older_engine_reports_the_digest_in_the_status_line(run, engine, push_args):
    engine.report_aux_digest = False
    pushed = ok(run(push_args(additional_tags=[])))
    assert pushed["push"]["digest"] == engine.images_by_id[pushed["image_id"]].digest


def test_no_digest_from_the_engine_is_an_error(run, engine, push_args):
    engine.report_digest = False
    result = failed(run(push_args(additional_tags=[])), "error")
    assert result["msg"] == ("Pushing %s failed: the engine did not report the digest of the pushed manifest"
                             % PUSH_REFS[0])


# -- push errors: classified, with the hint for each ------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_no_login(run, engine, push_args, tmp_path, check):
    engine.registry_errors = {("inspect", REGISTRY): UNAUTHORIZED, ("push", REGISTRY): UNAUTHORIZED}
    result = failed(run(push_args(), check=check), "auth")
    config = tmp_path / "home" / ".docker" / "config.json"
    doing = "Pushing %s" if not check else "Looking up %s in its registry"
    assert result["msg"] == (
        "%s was refused by the registry %s (unauthorized: authentication required): there is no login for %s in %s. "
        "Log in first with oracle.mlflow.ocir_login (registry: %s), or with docker login %s for a registry other "
        "than OCIR." % (doing % PUSH_REFS[0], REGISTRY, REGISTRY, config, REGISTRY, REGISTRY))
    assert engine.registry == {} and ("push", PUSH_REFS[0]) not in engine.changes
    # What was done (or, in check mode, would be) before the failure is in the result.
    assert result["changed"] is True
    assert engine.changes == ([] if check else [("build", REFS[0]), ("tag", REFS[1]), ("tag", PUSH_REFS[0]),
                                                ("tag", PUSH_REFS[1])])
    assert result["actions"] == ["built %s" % REFS[0], "tagged %s" % REFS[1], "tagged %s" % PUSH_REFS[0],
                                 "tagged %s" % PUSH_REFS[1]]
    assert result["push"] == {"repository": REPOSITORY, "digest": None, "pushed_tags": []}
    assert "diff" not in result


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_refused_login(run, engine, push_args, tmp_path, check):
    config = docker_login(tmp_path)
    denied = (403, "denied: requested access to the resource is denied")
    engine.registry_errors = {("inspect", REGISTRY): denied, ("push", REGISTRY): denied}
    result = failed(run(push_args(), check=check), "denied")
    assert ("the login stored for %s in %s was refused (expired token, wrong user or namespace, or no push rights "
            "on the repository). Log in again with oracle.mlflow.ocir_login (registry: %s)"
            % (REGISTRY, config, REGISTRY)) in result["msg"]
    assert "(denied: requested access to the resource is denied)" in result["msg"]


def test_a_registry_that_will_not_describe_a_new_repository_still_gets_the_push(run, engine, push_args):
    engine.registry_errors = {("inspect", REGISTRY): UNAUTHORIZED}
    pushed = ok(run(push_args()))
    assert pushed["changed"] is True and pushed["push"]["pushed_tags"] == ["latest", "1.0"]


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
@pytest.mark.parametrize("repository, option", [(REPOSITORY, "repository"), (None, "name")])
def test_unreachable_registry(run, engine, push_args, check, repository, option):
    engine.registry_errors = {("inspect", REGISTRY): UNREACHABLE, ("push", REGISTRY): UNREACHABLE}
    task = push_args(additional_tags=[]) if repository else push_args(name=REPOSITORY, repository=None,
                                                                      additional_tags=[])
    result = failed(run(task, check=check), "unreachable")
    doing = ("pushing %s" if not check else "looking up %s in its registry") % PUSH_REFS[0]
    assert result["msg"] == ("Cannot reach the registry %s (%s failed: %s). Check the registry host in %s and that "
                             "the Docker engine (docker_host) can reach it." % (REGISTRY, doing, UNREACHABLE[1], option))


@pytest.mark.parametrize("message", ["x509: certificate signed by unknown authority",
                                     "http: server gave HTTP response to HTTPS client",
                                     "dial tcp: lookup nowhere.example: no such host"])
def test_unreachable_in_other_words(run, engine, push_args, message):
    engine.registry_errors = {("push", REGISTRY): (500, message)}
    assert failed(run(push_args(additional_tags=[])), "unreachable")["msg"].startswith("Cannot reach the registry")


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_other_registry_errors(run, engine, push_args, check):
    error = (500, "received unexpected HTTP status: 500 Internal Server Error")
    engine.registry_errors = {("inspect", REGISTRY): error, ("push", REGISTRY): error}
    result = failed(run(push_args(additional_tags=[]), check=check), "error")
    doing = "Pushing %s" if not check else "Looking up %s in its registry"
    assert result["msg"] == "%s failed: %s" % (doing % PUSH_REFS[0], error[1])


@pytest.mark.parametrize("answer", [(404, "not found"), (500, "manifest unknown: manifest unknown"),
                                    (500, "name unknown: repository name not known to registry")])
def test_a_tag_the_registry_does_not_have_is_pushed(run, engine, push_args, answer):
    engine.registry_errors = {("inspect", REGISTRY): answer}
    checked = ok(run(push_args(additional_tags=[]), check=True))
    assert checked["push"]["pushed_tags"] == ["latest"]
    engine.registry_errors = {}
    assert ok(run(push_args(additional_tags=[])))["push"]["pushed_tags"] == ["latest"]


# -- state=absent -----------------------------------------------------------------------------------

def test_absent_four_way(run, engine, args):
    built = ok(run(args()))
    engine.changes.clear()
    absent = {"name": NAME, "additional_tags": ["1.0"], "state": "absent"}

    checked = ok(run(absent, check=True, diff=True))
    assert checked["changed"] is True and checked["actions"] == ["removed %s" % ref for ref in REFS]
    assert set(checked["diff"]["before"]) == set(REFS) and checked["diff"]["after"] == {}
    assert checked["image_id"] is None and checked["build_hash"] is None
    assert engine.changes == []

    removed = ok(run(absent))
    assert removed["changed"] is True and removed["actions"] == checked["actions"]
    assert engine.changes == [("remove", ref) for ref in REFS]
    assert built["image_id"] not in engine.images_by_id  # last tag gone: image deleted

    again = ok(run(absent))
    assert again["changed"] is False and again["actions"] == []
    assert ok(run(absent, check=True))["changed"] is False


def test_absent_removes_the_repository_tags_and_ignores_push(run, engine, push_args):
    ok(run(push_args(push=False, additional_tags=[])))
    removed = ok(run({"name": NAME, "repository": REPOSITORY, "push": True, "state": "absent"}))
    assert removed["actions"] == ["removed %s:latest" % NAME, "removed %s" % PUSH_REFS[0]]
    assert "push" not in removed and engine.refs == {}


def test_absent_on_an_image_a_container_uses(run, engine, args):
    built = ok(run(args(additional_tags=[])))
    engine.in_use.add(built["image_id"])
    absent = {"name": NAME, "state": "absent"}

    result = failed(run(absent), "conflict")
    assert result["msg"] == (
        'Cannot remove %s: conflict: unable to remove repository reference "%s" (must force) - container 0123456789ab '
        "is using its referenced image %s. A container uses the image: remove the container first, or set force=true "
        "to remove the tag anyway." % (REFS[0], REFS[0], built["image_id"][7:19]))
    assert result["changed"] is False and REFS[0] in engine.refs

    forced = ok(run(dict(absent, force=True)))
    assert forced["actions"] == ["removed %s" % REFS[0]]
    assert REFS[0] not in engine.refs and built["image_id"] in engine.images_by_id  # kept for the container


# -- failures before and during the work ------------------------------------------------------------

def test_a_failing_build_reports_its_step_and_tags_nothing(run, engine, args):
    engine.build_output = ["line %d" % number for number in range(30)] + ["about to fail"]
    engine.build_failure = ("Step 2/2 : RUN false", "The command '/bin/sh -c false' returned a non-zero code: 1")
    result = failed(run(args()), "error")
    assert result["msg"].startswith("Building %s failed at step 2/2 (RUN false): The command '/bin/sh -c false' "
                                    "returned a non-zero code: 1\nLast lines of the build output:\n" % REFS[0])
    tail = result["msg"].split("Last lines of the build output:\n")[1].splitlines()
    assert len(tail) == 20 and tail[0] == "line 14" and "about to fail" in tail
    assert result["build_log"][-1] == "ERROR: The command '/bin/sh -c false' returned a non-zero code: 1"
    assert result["changed"] is False and result["actions"] == [] and result["image_id"] is None
    assert engine.refs == {}


@pytest.mark.parametrize("overrides, kind, message", [
    ({"name": "Oracle-MLflow"}, "invalid", "Invalid image reference 'Oracle-MLflow:latest': the name must be lowercase"),
    ({"name": "oci-mlflow:2"}, "invalid", "name must not contain a tag or digest (got 'oci-mlflow:2')"),
    ({"repository": "%s:2" % REPOSITORY}, "invalid", "repository must not contain a tag or digest"),
    ({"tag": "bad tag"}, "invalid", "Invalid image reference 'oci-mlflow:bad tag'"),
    ({"push": True}, "invalid", "push=true needs a registry host: set repository, for example "
                                "iad.ocir.io/<namespace>/oci-mlflow (name 'oci-mlflow' has none"),
    ({"push": True, "repository": "emulatorns/oci-mlflow"}, "invalid",
     "push=true needs a registry host in repository (got 'emulatorns/oci-mlflow'), for example "
     "iad.ocir.io/<namespace>/oci-mlflow; use docker.io/... for Docker Hub."),
    ({"build": {"labels": {HASH_LABEL: "x"}}}, "invalid",
     "The label %s is set by the module; remove it from build.labels." % HASH_LABEL),
    ({"build": {"dockerfile": "Containerfile"}}, "missing", "Containerfile (build.dockerfile) not found."),
    ({"build": {"dockerfile": "hello.txt/.."}}, "missing", "(build.dockerfile) not found."),
])
def test_wrong_options_fail_before_any_engine_call(run, engine, args, overrides, kind, message):
    result = failed(run(args(**overrides)), kind)
    assert message in result["msg"]
    assert engine.connections == []


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_a_missing_context(run, engine, args, tmp_path, check):
    missing = tmp_path / "no-such-dir"
    result = failed(run(args(build={"path": str(missing)}), check=check), "missing")
    assert result["msg"].startswith("Build context %s (build.path) does not exist on the managed node (" % missing)
    (tmp_path / "file").write_text("")
    result = failed(run(args(build={"path": str(tmp_path / "file")}), check=check), "missing")
    assert "(build.path) is not a directory" in result["msg"]
    assert engine.connections == []


def test_engine_errors_name_the_call(run, engine, args):
    engine.inspect_error = (500, "engine hiccup")
    result = failed(run(args()), "error")
    assert result["msg"] == "Cannot inspect %s: engine hiccup" % ", ".join(REFS)
    assert len(result["build_hash"]) == 64 and result["tags"] == REFS

    engine.inspect_error = None
    engine.refuse_tag = True
    result = failed(run(args()), "error")
    image_id = engine.refs[REFS[0]]
    assert result["msg"] == ("Built %s but cannot tag it as %s: the engine refused to tag %s as %s"
                             % (image_id, REFS[1], image_id, REFS[1]))
    assert result["changed"] is True and result["image_id"] == image_id  # the build happened

    result = failed(run(args()), "error")  # the same inputs: the image is there, only the tag is missing
    assert result["msg"] == "Cannot tag %s as %s: the engine refused to tag %s as %s" % (image_id, REFS[1],
                                                                                          image_id, REFS[1])


def test_the_engine_from_the_options(run, engine, args, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://from-env.example:2375")
    ok(run(args(timeout=5)))
    assert engine.connections[-1]["base_url"] == "tcp://from-env.example:2375"
    assert (engine.connections[-1]["version"], engine.connections[-1]["timeout"]) == ("auto", 5)
    ok(run(args(docker_host="unix:///run/other.sock")))
    assert engine.connections[-1]["base_url"] == "unix:///run/other.sock"


def test_the_old_name_is_a_redirect_to_this_module():
    runtime = yaml.safe_load((Path(image_build.__file__).parents[2] / "meta" / "runtime.yml").read_text())
    assert runtime["plugin_routing"]["modules"]["image"] == {"redirect": "oracle.mlflow.image_build"}
    assert "image_build" in runtime["action_groups"]["docker"]
