"""Test support code shared by the suites (imported as `support`: pytest has tests/ on sys.path)."""
