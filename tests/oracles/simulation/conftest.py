"""The drivers' fixtures (broker, fleet, unique client ids) serve the simulation's delivery tests too."""

from tests.oracles.drivers.conftest import broker, fleet, unique  # noqa: F401  (pytest finds fixtures by name)
