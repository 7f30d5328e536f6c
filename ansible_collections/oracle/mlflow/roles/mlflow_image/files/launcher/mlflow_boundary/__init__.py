"""The artifact boundary of the tracking server: it reads and writes artifacts only under its own
artifact store, whatever location a client names.

A plain `mlflow server` builds an artifact repository for any location a client stores (an
experiment's artifact_location, a model version's source, a trace's artifact location) and reads or
writes it with the server's own credentials. Ours holds an OCI identity that may reach more than
MLflow's data (other prefixes of the bucket, other buckets), so the image draws the line in two places:

- `policy`: which locations are inside (the destination, the default artifact root, and
  MLFLOW_ARTIFACTS_ALLOWED_ROOTS), as plain functions of the environment;
- `app`: the MLflow app plugin the launcher always starts (`mlflow server --app-name oci-mlflow`). In
  each worker it wraps every scheme of MLflow's artifact repository registry, the one place every
  route (/api, /ajax-api, the UI's, the FastAPI artifact and OTLP routers) gets a repository from, and
  refuses experiment and model-version creation naming an outside location with a 400 at once.
"""
