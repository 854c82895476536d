"""Which end use a meter measures (lighting, HVAC, power, water), for the big screen's breakdown.

The chain records a device's kind and unit, not its end use; the compound's inventory does
(oracles/simulation/compound.py names every device's load profile). Device ids are derived from the
simulation seed exactly as the simulator registers them, so this maps on-chain ids back to profiles.
A meter not in the inventory is "other".
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache


class EndUse(str, Enum):
    LIGHTING = "lighting"
    HVAC = "hvac"
    POWER = "power"
    WATER = "water"
    GENERATION = "generation"
    OTHER = "other"


PROFILE_END_USE = {
    "office_lighting": EndUse.LIGHTING, "garage_lighting": EndUse.LIGHTING, "outdoor_lighting": EndUse.LIGHTING,
    "split_ac": EndUse.HVAC, "chiller_plant": EndUse.HVAC, "ventilation": EndUse.HVAC,
    "garage_ventilation": EndUse.HVAC,
    "office_plug": EndUse.POWER, "elevator": EndUse.POWER, "it_room": EndUse.POWER, "kitchen": EndUse.POWER,
    "water_pumps": EndUse.POWER,
    "domestic_water": EndUse.WATER, "canteen_water": EndUse.WATER, "cooling_tower_water": EndUse.WATER,
    "irrigation": EndUse.WATER, "cleaning_water": EndUse.WATER,
    "pv": EndUse.GENERATION,
}


@lru_cache(maxsize=4)
def end_uses(seed: str = "xihuamen") -> dict[bytes, EndUse]:
    """device id → end use for the Xihuamen compound simulated from `seed`."""
    from oracles.simulation import CompoundFleet, xihuamen

    fleet = CompoundFleet(xihuamen(seed.encode()), seed)
    return {i.device_id: PROFILE_END_USE.get(i.device.profile, EndUse.OTHER) for i in fleet.identities.values()}
