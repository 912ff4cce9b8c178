pytest_plugins = ["sheetsync.testing.fixtures"]
