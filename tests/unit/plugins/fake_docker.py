"""A stand-in for ``docker.APIClient``: the calls the image modules make, over images and registries kept
in memory, answering as the engine does (the same chunks, the same errors with their status codes).

What a test sets up: ``refs`` (tag -> image id), ``in_use`` (image ids a container uses), ``registry``
(repository -> {tag: digest}), ``blobs`` (repository -> layers), ``build_failure``, ``registry_errors``.
What it checks: ``changes``, every call that would change the engine or a registry, in order.
"""

from __future__ import annotations

import hashlib
import itertools

from docker.errors import APIError, ImageNotFound, NotFound

BASE_LAYER = "sha256:%s" % ("b" * 64)


class _Response:
    """What ``APIError.status_code`` and ``str(APIError)`` read."""

    def __init__(self, status_code):
        self.status_code = status_code
        self.url = "http+docker://localhost/fake"
        self.reason = "fake"


def api_error(status, explanation, cls=APIError):
    return cls("%s %s" % (status, explanation), response=_Response(status), explanation=explanation)


def sha(*parts):
    return hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()


class FakeImage:
    def __init__(self, image_id, labels, created):
        self.id = image_id
        self.labels = dict(labels)
        self.created = created
        self.layers = [BASE_LAYER, "sha256:%s" % sha("layer", image_id)]
        self.repo_digests = []

    @property
    def digest(self):
        """The manifest digest a registry gives this image (the same in every repository)."""
        return "sha256:%s" % sha("manifest", self.id)


class FakeDockerClient:

    def __init__(self):
        self.images_by_id = {}
        self.refs = {}
        self.in_use = set()
        self.registry = {}
        self.blobs = {}
        self.changes = []
        self.builds = []
        # (step line, error) to fail the next builds with; lines: extra output before the failure.
        self.build_failure = None
        self.build_output = []
        # ("inspect" | "push", registry host) -> (status, what the engine says)
        self.registry_errors = {}
        self.refuse_tag = False
        self.report_aux_digest = True  # False: an older engine, the digest only in the status line
        self.report_digest = True
        self.inspect_error = None  # (status, explanation) for every inspect_image
        self._clock = itertools.count(1)

    # -- images --------------------------------------------------------------------------------------

    def ping(self):
        return True

    def add_image(self, labels, *refs):
        """An image as a build would leave it, tagged ``refs``; returns its id."""
        created = next(self._clock)
        image = FakeImage("sha256:%s" % sha("image", created), labels, created)
        self.images_by_id[image.id] = image
        for ref in refs:
            self.refs[ref] = image.id
        return image.id

    def _image(self, ref):
        image_id = self.refs.get(ref, ref)
        if image_id not in self.images_by_id:
            raise api_error(404, "No such image: %s" % ref, ImageNotFound)
        return self.images_by_id[image_id]

    def inspect_image(self, image):
        if self.inspect_error:
            raise api_error(*self.inspect_error)
        found = self._image(image)
        return {"Id": found.id, "Created": found.created, "Config": {"Labels": dict(found.labels)},
                "RepoTags": sorted(ref for ref, image_id in self.refs.items() if image_id == found.id),
                "RepoDigests": list(found.repo_digests)}

    def images(self, filters=None):
        key, _sep, value = (filters or {}).get("label", "").partition("=")
        return [{"Id": image.id, "Created": image.created} for image in self.images_by_id.values()
                if not key or image.labels.get(key) == value]

    def build(self, **kwargs):
        self.builds.append(kwargs)
        self.changes.append(("build", kwargs["tag"]))
        return self._build_stream(**kwargs)

    def _build_stream(self, tag, labels, pull=False, **_kwargs):
        if pull:
            yield {"status": "Pulling from library/base", "id": "latest"}
        yield {"stream": "Step 1/2 : FROM base\n"}
        yield {"stream": " ---> %s\n" % BASE_LAYER[7:19]}
        for line in self.build_output:
            yield {"stream": line + "\n"}
        if self.build_failure:
            step, error = self.build_failure
            yield {"stream": step + "\n"}
            yield {"stream": " ---> Running in 1c2d3e4f5a6b\n"}
            yield {"errorDetail": {"code": 1, "message": error}, "error": error}
            return
        yield {"stream": "Step 2/2 : LABEL done=yes\n"}
        image_id = self.add_image(labels, tag)
        yield {"stream": "Successfully built %s\n" % image_id[7:19]}
        yield {"stream": "Successfully tagged %s\n" % tag}

    def tag(self, image, repository, tag=None, force=False):
        ref = "%s:%s" % (repository, tag)
        if self.refuse_tag:
            return False
        self.changes.append(("tag", ref))
        self.refs[ref] = self._image(image).id
        return True

    def remove_image(self, image, force=False, noprune=False):
        if image not in self.refs:
            raise api_error(404, "No such image: %s" % image, ImageNotFound)
        image_id = self.refs[image]
        if image_id in self.in_use and not force:
            raise api_error(409, 'conflict: unable to remove repository reference "%s" (must force) - container '
                                 '0123456789ab is using its referenced image %s' % (image, image_id[7:19]))
        self.changes.append(("remove", image))
        del self.refs[image]
        if image_id not in self.refs.values() and image_id not in self.in_use:
            del self.images_by_id[image_id]

    # -- registries ----------------------------------------------------------------------------------

    def _registry_error(self, operation, repository):
        return self.registry_errors.get((operation, repository.partition("/")[0]))

    def inspect_distribution(self, image, auth_config=None):
        repository, _sep, tag = image.rpartition(":")
        error = self._registry_error("inspect", repository)
        if error:
            raise api_error(*error)
        if repository not in self.registry:
            raise api_error(500, "errors:\nname unknown: repository name not known to registry\n", NotFound)
        if tag not in self.registry[repository]:
            raise api_error(404, "manifest unknown: manifest unknown", NotFound)
        return {"Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "digest": self.registry[repository][tag], "size": 528},
                "Platforms": [{"architecture": "amd64", "os": "linux"}]}

    def push(self, repository, tag=None, stream=False, decode=False, auth_config=None):
        assert stream and decode, "the module streams the push"
        return self._push_stream(repository, tag)

    def _push_stream(self, repository, tag):
        yield {"status": "The push refers to repository [%s]" % repository}
        error = self._registry_error("push", repository)
        if error:
            yield {"errorDetail": {"message": error[1]}, "error": error[1]}
            return
        image = self._image("%s:%s" % (repository, tag))
        self.changes.append(("push", "%s:%s" % (repository, tag)))
        host = repository.partition("/")[0]
        present = self.blobs.setdefault(repository, set())
        for layer in image.layers:
            short = layer[7:19]
            yield {"status": "Preparing", "progressDetail": {}, "id": short}
            if layer in present:
                yield {"status": "Layer already exists", "progressDetail": {}, "id": short}
                continue
            source = next((other for other, layers in sorted(self.blobs.items())
                           if other != repository and other.partition("/")[0] == host and layer in layers), None)
            present.add(layer)
            if source:
                yield {"status": "Mounted from %s" % source.partition("/")[2], "progressDetail": {}, "id": short}
            else:
                yield {"status": "Pushed", "progressDetail": {}, "id": short}
        self.registry.setdefault(repository, {})[tag] = image.digest
        entry = "%s@%s" % (repository, image.digest)
        if entry not in image.repo_digests:
            image.repo_digests.append(entry)
        if not self.report_digest:
            return
        yield {"status": "%s: digest: %s size: 528" % (tag, image.digest), "progressDetail": {}}
        if self.report_aux_digest:
            yield {"progressDetail": {}, "aux": {"Tag": tag, "Digest": image.digest, "Size": 528}}
