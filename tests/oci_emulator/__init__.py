"""An OCI API emulator for tests: the unmodified `oci` SDK (and anything built on it) talks to it
through the environment alone, every request signature is verified, and every request is logged.

Start it with `Emulator.start(state_dir)`, the `oci_emulator` pytest fixture (pytest_plugin.py),
or by hand: `python -m tests.oci_emulator`. See README.md.
"""

from . import realm
from .emulator import Emulator
from .principal import Principal
from .routing import ApiError, Request, Response, Route

__all__ = ["ApiError", "Emulator", "Principal", "Request", "Response", "Route", "realm"]
