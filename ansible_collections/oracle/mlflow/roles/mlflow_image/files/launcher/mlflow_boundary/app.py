"""`mlflow server --app-name oci-mlflow`: MLflow's own server app with the artifact boundary.

The `mlflow.app` entry point is MLflow's way to extend the server (its basic-auth app is one). The
factory runs in every worker: it wraps each scheme of the artifact repository registry with the
policy, adds a check on the two requests that name a location, answers a database that is away for a
moment with 503 (database.py) and a full artifact volume with 507 (storage.py), and returns the app
MLflow would serve otherwise (the FastAPI app around the Flask one under uvicorn, the Flask app under gunicorn), with
MLflow's basic-auth app composed in when the launcher turns logins on (MLFLOW_AUTH).
"""

import json
import logging
import os

from mlflow_launcher.drain import MARKER_ENV as DRAIN_MARKER_ENV

from . import database, policy

APP_NAME = "oci-mlflow"
# The requests that store a location a client names, under /api and /ajax-api (and their 2.0
# variants); the field that holds it.
LOCATION_FIELDS = (("/mlflow/experiments/create", "artifact_location"),
                   ("/mlflow/model-versions/create", "source"))
_MARK = "_oci_mlflow_boundary"
# Where a database error's text turns into what the server ran: the statement and its parameters
# (SQLAlchemy's format), which MLflow passes on to the client in some errors (runs/create).
SQL_DETAILS = ("[SQL:", "[parameters:", "(Background on this error at:")
_logger = logging.getLogger("mlflow_boundary")


def _refusal(message):
    from mlflow.exceptions import MlflowException  # noqa: PLC0415 - imported in the worker
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE  # noqa: PLC0415
    return MlflowException(message, INVALID_PARAMETER_VALUE)


def _confined(factory, roots):
    def build(artifact_uri, tracking_uri=None, registry_uri=None):
        try:
            policy.check(artifact_uri, roots)
        except policy.Outside as exc:
            raise _refusal(exc.message) from None
        return factory(artifact_uri, tracking_uri=tracking_uri, registry_uri=registry_uri)
    setattr(build, _MARK, True)
    return build


def confine_registry(roots):
    """Wrap every registered scheme (entry points included) so that no repository outside `roots`
    is ever built in this process. Idempotent."""
    from mlflow.store.artifact.artifact_repository_registry import (  # noqa: PLC0415
        get_registered_artifact_repositories)
    registry = get_registered_artifact_repositories()   # the registry's own mapping
    for scheme, factory in list(registry.items()):
        if not getattr(factory, _MARK, False):
            registry[scheme] = _confined(factory, roots)


def location_field(path, method):
    """The field of a request that stores a location a client names, or None."""
    if method == "POST":
        for suffix, field in LOCATION_FIELDS:
            if path.endswith(suffix):
                return field
    return None


def location_refusal(field, body, roots):
    """The message refusing a request whose `field` stores an outside location, or None."""
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip() or not policy.names_a_location(value.strip()):
        return None
    try:
        policy.check(value.strip(), roots)
    except policy.Outside as exc:
        return f"{field}: {exc.message}"
    return None


def without_sql(message):
    """An error message without the SQL statement and parameters it carries (None: nothing to cut)."""
    cuts = [message.find(marker) for marker in SQL_DETAILS if marker in message]
    if not cuts:
        return None
    return f"{message[:min(cuts)].strip()} (the database's own details are in the server log)"


def scrub_sql(response):
    """A JSON error response with its SQL details removed (they go to the server log instead)."""
    if response.status_code < 400 or response.mimetype != "application/json" or response.direct_passthrough:
        return response
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    message = body.get("message") if isinstance(body, dict) else None
    cleaned = without_sql(message) if isinstance(message, str) else None
    if cleaned is not None:
        _logger.warning("database error answered as: %s; in full: %s", cleaned, message)
        body["message"] = cleaned
        response.set_data(json.dumps(body))
    return response


def _draining_health(marker):
    """Flask's /health (under gunicorn) answers 503 once the launcher drains (docker stop): balancers
    take this server out while it still serves what they send meanwhile."""
    from flask import Response, request  # noqa: PLC0415

    def answer_draining():
        if request.endpoint == "health" and os.path.exists(marker):
            return Response("draining\n", status=503, mimetype="text/plain")
        return None
    return answer_draining


def draining_asgi(app, marker, health_path):
    """The same for uvicorn, where FastAPI answers /health itself, before the Flask mount."""
    async def serve(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == health_path and os.path.exists(marker):
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"draining\n"})
            return
        await app(scope, receive, send)
    return serve


def _json_error(error, status):
    from flask import Response  # noqa: PLC0415
    return Response(error.serialize_as_json(), status=status, mimetype="application/json")


def answer_unavailable(exc):
    """Flask's handler of a database error no MLflow session turned into an answer (the tracking store
    built on a worker's first request): 503 when it passes by itself, Flask's own 500 otherwise."""
    if not database.transient(exc):
        raise exc
    return _json_error(database.unavailable(exc), 503)


async def answer_unavailable_asgi(request, exc):
    """The same for FastAPI's own routes under uvicorn (traces, jobs, gateway; MLflow's handler already
    answers an MlflowException with its status): re-raised, an error keeps Starlette's 500."""
    from fastapi.responses import Response  # noqa: PLC0415
    if not database.transient(exc):
        raise exc
    error = database.unavailable(exc)
    return Response(error.serialize_as_json(), status_code=503, media_type="application/json")


def install_asgi_handlers(app):
    """answer_unavailable_asgi on a FastAPI app (what MLflow serves under uvicorn, with or without logins)."""
    import sqlalchemy.exc  # noqa: PLC0415
    if hasattr(app, "add_exception_handler"):
        app.add_exception_handler(sqlalchemy.exc.SQLAlchemyError, answer_unavailable_asgi)
    return app


def install(flask_app, environ=None):
    """The boundary on MLflow's Flask app (and on the registry of this process), error answers without
    SQL, 503 for a database away for a moment and 507 for a full artifact volume."""
    import sqlalchemy.exc  # noqa: PLC0415
    from flask import request  # noqa: PLC0415
    from . import storage  # noqa: PLC0415 - imports MLflow's repositories: in the worker only
    if getattr(flask_app, _MARK, False):
        return flask_app
    setattr(flask_app, _MARK, True)
    database.install_engine_hook()
    flask_app.register_error_handler(sqlalchemy.exc.SQLAlchemyError, answer_unavailable)
    storage.guard_local_repositories()   # before the boundary wraps the registry's factories
    flask_app.after_request(scrub_sql)
    marker = (os.environ if environ is None else environ).get(DRAIN_MARKER_ENV)
    if marker:
        flask_app.before_request(_draining_health(marker))
    roots = policy.allowed_roots(os.environ if environ is None else environ)
    if roots is None:
        return flask_app
    confine_registry(roots)

    def refuse_outside_locations():
        field = location_field(request.path, request.method)
        if field is None:       # every other request, uploads included, passes unread
            return None
        message = location_refusal(field, request.get_json(silent=True), roots)
        if message is None:
            return None
        error = _refusal(message)
        return _json_error(error, error.get_http_status_code())

    flask_app.before_request(refuse_outside_locations)
    return flask_app


def logins_on(environ=None):
    """MLFLOW_AUTH, as the launcher passes it to the workers once the admin user is set up."""
    return (os.environ if environ is None else environ).get("MLFLOW_AUTH") == "true"


def create_app():
    """The factory MLflow runs in each worker (uvicorn --factory, gunicorn 'module:create_app()')."""
    from mlflow.server import app as flask_app  # noqa: PLC0415 - imported in the worker
    from mlflow.environment_variables import _MLFLOW_SGI_NAME  # noqa: PLC0415
    uvicorn = _MLFLOW_SGI_NAME.get() == "uvicorn"
    if logins_on():
        # MLflow's auth app first: its checks run before the boundary's, so a request without a login
        # learns nothing of the boundary. It returns the FastAPI app with its permission middleware
        # under uvicorn, the Flask app under gunicorn; /health stays open (MLflow's unprotected routes).
        from mlflow.server.auth import create_app as with_logins  # noqa: PLC0415
        app = with_logins(flask_app)
        install(flask_app)
        if uvicorn:
            install_asgi_handlers(app)
    else:
        install(flask_app)
        app = flask_app
        if uvicorn:
            from mlflow.server.fastapi_app import create_fastapi_app  # noqa: PLC0415
            app = install_asgi_handlers(create_fastapi_app(flask_app))
    marker = os.environ.get(DRAIN_MARKER_ENV)
    if uvicorn and marker:
        from mlflow.server.handlers import STATIC_PREFIX_ENV_VAR  # noqa: PLC0415
        health_path = os.environ.get(STATIC_PREFIX_ENV_VAR, "").rstrip("/") + "/health"
        return draining_asgi(app, marker, health_path)
    return app
