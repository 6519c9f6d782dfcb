from tests.asterisk_fixtures import sim

__all__ = ["sim"]
