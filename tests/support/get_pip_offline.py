# Offline stand-in for ansible-test's pip bootstrap script (get-pip.py), whose download host is not
# reachable from every network: it runs pip from the wheel that Python's ensurepip bundles. Like
# get-pip.py, its arguments are pip-install arguments; --no-setuptools / --no-wheel only mean
# "do not add those packages", so they are dropped.
import glob
import os
import runpy
import sys

import ensurepip

bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")
sys.path.insert(0, sorted(glob.glob(bundled))[-1])
sys.argv[1:] = ["install"] + [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
