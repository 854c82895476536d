"""Hour-by-hour load shapes of the compound's end uses, from occupancy, weather and the sun.

Each profile maps one local day (its DayConditions) to 24 relative values: the average load in
each clock hour, in arbitrary units. A device's absolute figures come from scaling a profile so
that the reference year sums to the device's annual budget (oracles/simulation/compound.py).

The schedules are those of a Chinese government office: 08:30–12:00 and 13:30–17:30 on working
days with a lunch dip (canteen and nap break), a duty skeleton staff at weekends, almost nobody on
public holidays. HVAC follows Chengdu's temperature: cooling above ~20 °C (summer, plus internal
gains), heating by heat-pump split units below ~12 °C (Chengdu has no district heating).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from oracles.simulation import climate
from oracles.simulation.workdays import DayType, day_type

REFERENCE_YEAR = 2025  # the year profiles are normalised over (an official holiday schedule, 365 days)

_ZERO = (0.0,) * 24
_OCCUPANCY = {
    DayType.WORKDAY: (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.12, 0.65, 0.95, 0.97, 0.92,
                      0.55, 0.70, 0.95, 0.97, 0.95, 0.80, 0.35, 0.18, 0.10, 0.06, 0.03, 0.02),
    DayType.WEEKEND: (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.10, 0.12, 0.12,
                      0.08, 0.10, 0.12, 0.12, 0.10, 0.06, 0.03, 0.02, 0.02, 0.01, 0.01, 0.01),
    DayType.HOLIDAY: (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.03, 0.04, 0.04, 0.04,
                      0.03, 0.04, 0.04, 0.04, 0.03, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01),
}
_HVAC_SCHEDULE = {  # share of air-conditioning plant running (pre-cooling from 07:00)
    DayType.WORKDAY: (0,) * 7 + (0.6,) + (1.0,) * 10 + (0.5, 0.1) + (0,) * 4,
    DayType.WEEKEND: (0,) * 9 + (0.12,) * 8 + (0,) * 7,
    DayType.HOLIDAY: (0,) * 9 + (0.05,) * 8 + (0,) * 7,
}
_TRAFFIC = (0.02,) * 7 + (0.25, 1.0, 0.55, 0.45, 0.6, 0.9, 0.8, 0.5, 0.45, 0.5, 0.9, 0.55, 0.2, 0.1) + (0.03,) * 3
_MEALS = (0.0,) * 6 + (0.3, 0.8, 0.4, 0.15, 0.5, 1.0, 0.8, 0.3, 0.1, 0.1, 0.4, 0.8, 0.4, 0.1) + (0.0,) * 4
_DAY_LEVEL = {DayType.WORKDAY: 1.0, DayType.WEEKEND: 0.12, DayType.HOLIDAY: 0.04}


@dataclass(frozen=True)
class DayConditions:
    day: date
    day_type: DayType
    occupancy: tuple[float, ...]  # share of the 3,835 staff present, per hour
    hvac: tuple[float, ...]  # share of the HVAC plant scheduled on
    cooling: tuple[float, ...]  # cooling demand, K above 20 °C
    heating: tuple[float, ...]  # heating demand, K below 12 °C
    sun: tuple[float, ...]  # sin(solar elevation), negative at night
    clearness: float


@lru_cache(maxsize=4096)
def day_conditions(day: date) -> DayConditions:
    kind = day_type(day)
    temperatures = climate.hourly_temperatures(day)
    return DayConditions(
        day=day,
        day_type=kind,
        occupancy=_OCCUPANCY[kind],
        hvac=_HVAC_SCHEDULE[kind],
        cooling=tuple(max(0.0, t - 20.0) for t in temperatures),
        heating=tuple(max(0.0, 12.0 - t) for t in temperatures),
        sun=tuple(climate.sun_heights(day)),
        clearness=climate.clearness(day),
    )


def _office_lighting(c: DayConditions) -> list[float]:
    # daylight lets perimeter zones dim: up to 35 % less when the sun is well up
    return [0.04 + 0.96 * o * (1 - 0.35 * min(1.0, max(0.0, s) * 2)) for o, s in zip(c.occupancy, c.sun)]


def _office_plug(c: DayConditions) -> list[float]:
    return [0.22 + 0.78 * o for o in c.occupancy]


def _split_ac(c: DayConditions) -> list[float]:
    return [o * (cool + 0.8 * heat) for o, cool, heat in zip(c.occupancy, c.cooling, c.heating)]


def _chiller_plant(c: DayConditions) -> list[float]:
    return [0.03 + h * cool for h, cool in zip(c.hvac, c.cooling)]


def _ventilation(c: DayConditions) -> list[float]:
    return [0.05 + h * (0.7 + 0.05 * (cool + heat)) for h, cool, heat in zip(c.hvac, c.cooling, c.heating)]


def _elevator(c: DayConditions) -> list[float]:
    level = _DAY_LEVEL[c.day_type]
    return [0.02 + level * t for t in _TRAFFIC]


def _it_room(c: DayConditions) -> list[float]:
    return [1.0 + 0.03 * cool for cool in c.cooling]


def _kitchen(c: DayConditions) -> list[float]:
    level = _DAY_LEVEL[c.day_type]
    return [0.06 + level * m for m in _MEALS]


def _garage_lighting(c: DayConditions) -> list[float]:
    return [1.0] * 24  # on around the clock, as the seed's garage-lighting line assumes (24 h)


def _garage_ventilation(c: DayConditions) -> list[float]:
    level = _DAY_LEVEL[c.day_type]
    return [0.15 + level * t for t in _TRAFFIC]


def _outdoor_lighting(c: DayConditions) -> list[float]:
    # full from dusk to 23:00, a third (security lighting) from 23:00 until dawn
    return [0.0 if s > -0.05 else (1.0 if 12 <= h < 23 else 0.33) for h, s in enumerate(c.sun)]


def _pv(c: DayConditions) -> list[float]:
    return [max(0.0, s) ** 1.2 * c.clearness for s in c.sun]


def _domestic_water(c: DayConditions) -> list[float]:
    return [0.02 + o * (1 + 0.3 * t) for o, t in zip(c.occupancy, _TRAFFIC)]


def _canteen_water(c: DayConditions) -> list[float]:
    level = _DAY_LEVEL[c.day_type]
    return [0.01 + level * m for m in _MEALS]


def _cooling_tower_water(c: DayConditions) -> list[float]:
    return [h * cool for h, cool in zip(c.hvac, c.cooling)]


def _irrigation(c: DayConditions) -> list[float]:
    warmth = max(0.0, climate.daily_mean_temperature(c.day) - 10.0)  # nothing in Chengdu's cool months
    return [warmth if h in (6, 7) else 0.0 for h in range(24)]


def _cleaning_water(c: DayConditions) -> list[float]:
    if c.day_type == DayType.HOLIDAY:
        return list(_ZERO)
    level = 1.0 if c.day_type == DayType.WORKDAY else 0.4
    return [level * {6: 1.0, 7: 1.0, 18: 0.5}.get(h, 0.0) for h in range(24)]


def _water_pumps(c: DayConditions) -> list[float]:
    return [0.2 + w for w in _domestic_water(c)]


PROFILES: dict[str, Callable[[DayConditions], list[float]]] = {
    "office_lighting": _office_lighting,
    "office_plug": _office_plug,
    "split_ac": _split_ac,
    "chiller_plant": _chiller_plant,
    "ventilation": _ventilation,
    "elevator": _elevator,
    "it_room": _it_room,
    "kitchen": _kitchen,
    "garage_lighting": _garage_lighting,
    "garage_ventilation": _garage_ventilation,
    "outdoor_lighting": _outdoor_lighting,
    "water_pumps": _water_pumps,
    "pv": _pv,
    "domestic_water": _domestic_water,
    "canteen_water": _canteen_water,
    "cooling_tower_water": _cooling_tower_water,
    "irrigation": _irrigation,
    "cleaning_water": _cleaning_water,
}


@lru_cache(maxsize=16384)
def day_shape(profile: str, day: date) -> tuple[float, ...]:
    return tuple(PROFILES[profile](day_conditions(day)))


LIGHTING_PROFILES = frozenset({"office_lighting", "garage_lighting", "outdoor_lighting"})
LED_LIGHTING_SHARE = Decimal("0.25")  # the seed: 智能照明 LED 灯具 … 减少电碳排放 25%以上


@dataclass(frozen=True)
class Retrofit:
    """A simulated reduction measure: from local midnight of `effective`, every profile in `profiles`
    draws `share` less than its shape (the hours and the noise stay as they were).

    Off by default: the compound as the seed describes it has none (compound.xihuamen's `retrofits`).
    A retrofit exists so that a simulation can have a measured before and after for M&V; its savings
    are simulated, and whoever uses one says so.
    """

    name: str
    effective: date
    share: Decimal  # 0 < share < 1
    profiles: frozenset[str]

    def __post_init__(self) -> None:
        if not 0 < self.share < 1:
            raise ValueError(f"a retrofit's share must be between 0 and 1 (exclusive), got {self.share}")
        unknown = sorted(self.profiles - PROFILES.keys())
        if unknown:
            raise ValueError(f"no load profile named {unknown[0]!r}")

    @property
    def factor(self) -> float:
        """What remains of the load once the retrofit is in effect."""
        return float(1 - self.share)

    def applies(self, profile: str, day: date) -> bool:
        return profile in self.profiles and day >= self.effective


def led_lighting_retrofit(effective: date, share: Decimal = LED_LIGHTING_SHARE) -> Retrofit:
    """The seed's smart LED lighting (智能照明 LED 灯具, strategy control: at least 25 % less) on every
    lighting load of the compound (offices, garage, grounds) from `effective`."""
    return Retrofit("led-lighting", effective, Decimal(share), LIGHTING_PROFILES)


def hourly_shape(profile: str, first_day: date, days: int, retrofits: tuple[Retrofit, ...] = ()) -> list[float]:
    """The profile's 24 × `days` hourly values from local midnight of `first_day`, each day's lowered
    by the retrofits in effect on it (none by default)."""
    values: list[float] = []
    for offset in range(days):
        day = first_day + timedelta(offset)
        shape = day_shape(profile, day)
        for retrofit in retrofits:
            if retrofit.applies(profile, day):
                shape = tuple(v * retrofit.factor for v in shape)
        values.extend(shape)
    return values


@lru_cache(maxsize=None)
def reference_total(profile: str) -> float:
    """Sum of the profile's hourly values over REFERENCE_YEAR: the divisor that calibrates it."""
    return sum(hourly_shape(profile, date(REFERENCE_YEAR, 1, 1), 365))


@lru_cache(maxsize=None)
def reference_peak(profile: str) -> float:
    return max(hourly_shape(profile, date(REFERENCE_YEAR, 1, 1), 365))
