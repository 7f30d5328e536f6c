"""Load the emulator's pytest plugin for these tests. A no-op when tests/conftest.py already loads
it as `oci_emulator.pytest_plugin` (loading it twice would start two emulators)."""


def pytest_configure(config):
    config.pluginmanager.import_plugin(f"{__package__}.pytest_plugin")
