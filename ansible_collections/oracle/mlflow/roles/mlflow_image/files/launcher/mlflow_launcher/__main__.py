"""Entry point of the image's `mlflow-launcher` command: python -m mlflow_launcher [args]."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
