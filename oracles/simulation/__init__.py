"""A simulator of the seed's Xihuamen compound: 150 metering points and 20 lighting controllers.

    compound.py  the inventory (devices, collectors, annual budgets, ratings), from the seed's figures
    profiles.py  hour-by-hour load shapes from occupancy, Chengdu's weather and the sun
    workdays.py  China's public holidays and make-up working days; climate.py Chengdu's temperature and sun
    series.py    a device's samples over time, as fast list arithmetic (a year of 150 meters in seconds)
    faults.py    fault injection as small composable transforms of a Series
    fleet.py     each device's Ed25519 key and signed readings in time order
"""

from oracles.simulation.compound import Compound, Device, xihuamen
from oracles.simulation.faults import FAULT_KINDS, Fault, FaultError, apply_faults, parse_fault
from oracles.simulation.fleet import CompoundFleet, DeviceIdentity, TimedReading
from oracles.simulation.series import MeterState, Series

__all__ = [
    "FAULT_KINDS", "Compound", "CompoundFleet", "Device", "DeviceIdentity", "Fault", "FaultError", "MeterState",
    "Series", "TimedReading", "apply_faults", "parse_fault", "xihuamen",
]
