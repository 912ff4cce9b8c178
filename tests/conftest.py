import pytest

pytest_plugins = ["sheetsync.testing.fixtures"]


@pytest.fixture(autouse=True)
def _no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without ``$SHEETSYNC_CONFIG``: a variable set where the suite runs
    (a CI runner, a developer's shell) would change which config every command reads."""
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
