"""The Xihuamen office compound as the seed describes it, device by device.

Seed facts: 3,835 people, 93,823.09 m²; 137 electricity and 13 water monitoring points behind 6 data
collectors; 20 lighting controllers; a year's electricity 7,158,184.5 kWh and water 62,981 m³
(the seed's IoT-monitoring and water-saving lines); 20 kWp rooftop PV giving 17,500 kWh; 14 elevators
at 40 kWh a working day; 717 P of split air-conditioners at 0.735 kWh per P-hour, 8 h × 300 days.

The seed does not list the points, so this inventory is an assumption, stated once here: three office
buildings (A tower, 15 floors; B annex, 8 floors; C service and conference centre, 7 floors), a plant
area (R), the underground garage (G) and the grounds (O). The 136 consumption meters partition the
compound's electricity (no meter is a sub-meter of another), so their annual budgets add up to the
seed's total; the 137th point is the PV generation meter. The 13 water meters partition the water.
Lighting controllers report their feeder current in amperes (a circuit monitor); their energy is
already inside the lighting meters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.encoding import DeviceKind, Quantity, Unit
from oracles.simulation.profiles import Retrofit, reference_peak, reference_total

PEOPLE = 3_835
FLOOR_AREA_M2 = Decimal("93823.09")
ANNUAL_ELECTRICITY_KWH = Decimal("7158184.5")
ANNUAL_WATER_M3 = Decimal("62981")
ANNUAL_PV_KWH = Decimal("17500")

# Anchored on the seed's own lines; the rest of the electricity is shared out by REMAINDER_SHARES.
SPLIT_AC_KWH = 717 * 0.735 * 8 * 300  # 1,264,788 kWh
ELEVATOR_KWH = 40 * 300 * 14  # 168,000 kWh
GARAGE_LIGHTING_KWH = 3_000 * 0.008 * 24 * 365  # 3,000 × 8 W LED around the clock: 210,240 kWh
REMAINDER_SHARES = {
    "chiller_plant": 0.27, "office_plug": 0.26, "office_lighting": 0.15, "it_room": 0.10,
    "ventilation": 0.09, "kitchen": 0.07, "garage_ventilation": 0.025, "water_pumps": 0.02,
    "outdoor_lighting": 0.015,
}
WATER_SHARES = {"domestic_water": 0.62, "canteen_water": 0.20, "cooling_tower_water": 0.12,
                "irrigation": 0.04, "cleaning_water": 0.02}

# (building, profile, count) for each group of points, in collector order
_ELECTRICITY = [
    ("A", "office_lighting", 15), ("A", "office_plug", 15), ("A", "split_ac", 12), ("A", "elevator", 8),
    ("B", "office_lighting", 8), ("B", "office_plug", 8), ("B", "split_ac", 6), ("B", "elevator", 4),
    ("C", "office_lighting", 7), ("C", "office_plug", 7), ("C", "split_ac", 6), ("C", "elevator", 2),
    ("C", "kitchen", 6),
    ("R", "chiller_plant", 9), ("R", "ventilation", 8), ("R", "it_room", 4), ("R", "water_pumps", 2),
    ("G", "garage_lighting", 4), ("G", "garage_ventilation", 3), ("O", "outdoor_lighting", 2),
]
_WATER = [("A", "domestic_water", 4), ("B", "domestic_water", 2), ("C", "domestic_water", 2),
          ("C", "canteen_water", 2), ("R", "cooling_tower_water", 1), ("G", "cleaning_water", 1),
          ("O", "irrigation", 1)]
_LIGHTING_CONTROLLERS = [("A", 10), ("B", 5), ("C", 5)]
_COLLECTORS = {"A": ("c1", "c2"), "B": ("c3",), "C": ("c4",), "R": ("c5",), "G": ("c6",), "O": ("c6",)}

_BREAKERS_A = (16, 20, 25, 32, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250)
_KW_PER_AMPERE = 3**0.5 * 0.4 * 0.9  # three-phase 400 V at power factor 0.9
_WATER_Q3 = (2.5, 4.0, 6.3, 10.0, 16.0, 25.0, 40.0, 63.0, 100.0)  # ISO 4064 permanent flow rates, m³/h


@dataclass(frozen=True)
class Circuit:
    name: str
    rated_amperes: int  # the circuit breaker
    load_amperes: float  # current with every luminaire on


@dataclass(frozen=True)
class Device:
    """One signing device of the compound and what the simulation needs to know about it."""

    name: str  # e.g. "E-A-office_plug-07"; unique in the compound
    kind: DeviceKind
    quantity: Quantity
    unit: Unit
    profile: str  # a key of oracles.simulation.profiles.PROFILES
    building: str
    collector: str
    unit_id: int  # Modbus unit (slave) id on its collector, 1–247
    annual: float  # kWh or m³ in the reference year; 0 for instantaneous devices
    rating: float  # rated power kW, permanent flow m³/h, or feeder breaker A
    full_load: float = 0.0  # lighting controllers: feeder current with every circuit on, A
    circuits: tuple[Circuit, ...] = field(default=())
    retrofits: tuple[Retrofit, ...] = field(default=())  # simulated measures lowering its load from a date

    @property
    def cumulative(self) -> bool:
        return self.quantity in (Quantity.ACTIVE_ENERGY_IMPORT, Quantity.ACTIVE_ENERGY_EXPORT, Quantity.WATER_VOLUME)

    def hourly_scale(self) -> float:
        """Multiplier turning the profile's hourly value into kWh or m³ per hour (or amperes)."""
        if not self.cumulative:
            return self.full_load
        return self.annual / reference_total(self.profile)

    @property
    def peak_hourly(self) -> float:
        return self.hourly_scale() * reference_peak(self.profile)

    @property
    def countable_per_hour(self) -> float:
        """The most the device can register in an hour (the oracle's profile rating): rated power for
        electricity, the overload flow Q4 = 1.25 × Q3 for water (ISO 4064), the breaker for a feeder."""
        return self.rating * 1.25 if self.kind == DeviceKind.WATER_METER else self.rating


@dataclass(frozen=True)
class Compound:
    name: str
    people: int
    floor_area_m2: Decimal
    devices: tuple[Device, ...]
    retrofits: tuple[Retrofit, ...] = ()  # simulated measures (none in the seed's compound)

    def device(self, name: str) -> Device:
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(f"no device named {name!r} in {self.name}")

    @property
    def collectors(self) -> dict[str, tuple[Device, ...]]:
        groups: dict[str, list[Device]] = {}
        for d in self.devices:
            groups.setdefault(d.collector, []).append(d)
        return {name: tuple(ds) for name, ds in sorted(groups.items())}

    @property
    def metering_points(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.cumulative)

    @property
    def lighting_controllers(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.kind == DeviceKind.CIRCUIT_MONITOR)


def _budgets() -> dict[str, float]:
    remainder = float(ANNUAL_ELECTRICITY_KWH) - SPLIT_AC_KWH - ELEVATOR_KWH - GARAGE_LIGHTING_KWH
    budgets = {name: share * remainder for name, share in REMAINDER_SHARES.items()}
    budgets.update(split_ac=SPLIT_AC_KWH, elevator=ELEVATOR_KWH, garage_lighting=GARAGE_LIGHTING_KWH,
                   pv=float(ANNUAL_PV_KWH))
    budgets.update({name: share * float(ANNUAL_WATER_M3) for name, share in WATER_SHARES.items()})
    return budgets


def _rating(kind: DeviceKind, peak: float) -> float:
    if kind == DeviceKind.WATER_METER:
        return next((q for q in _WATER_Q3 if q >= 1.25 * peak), _WATER_Q3[-1])
    amperes = next((a for a in _BREAKERS_A if a * _KW_PER_AMPERE >= 1.25 * peak), _BREAKERS_A[-1])
    return round(amperes * _KW_PER_AMPERE, 1)


def xihuamen(seed: bytes = b"xihuamen", retrofits: Iterable[Retrofit] = ()) -> Compound:
    """The compound's 170 devices; per-device budgets and circuits vary with `seed`, totals do not.

    `retrofits` (simulated, none by default) lower the load of the devices whose profile they name from
    their date; annual budgets stay those of the compound without them. Devices, keys and ids are the same.
    """
    rng = random.Random(hashlib.sha256(b"zcl-xihuamen-inventory:" + seed).digest())
    budgets = _budgets()
    groups = [(b, p, n, DeviceKind.ELECTRICITY_METER) for b, p, n in _ELECTRICITY]
    groups.append(("R", "pv", 1, DeviceKind.PV_GENERATION_METER))
    groups += [(b, p, n, DeviceKind.WATER_METER) for b, p, n in _WATER]
    counts: dict[str, int] = {}
    for _, profile, n, _ in groups:
        counts[profile] = counts.get(profile, 0) + n
    weights = {profile: [rng.uniform(0.6, 1.4) for _ in range(n)] for profile, n in counts.items()}
    used: dict[str, int] = {}
    next_unit: dict[str, int] = {}
    devices: list[Device] = []

    def place(building: str, index: int) -> tuple[str, int]:
        options = _COLLECTORS[building]
        collector = options[index % len(options)]
        next_unit[collector] = next_unit.get(collector, 0) + 1
        return collector, next_unit[collector]

    for building, profile, n, kind in groups:
        quantity, unit = {
            DeviceKind.ELECTRICITY_METER: (Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH),
            DeviceKind.PV_GENERATION_METER: (Quantity.ACTIVE_ENERGY_EXPORT, Unit.KWH),
            DeviceKind.WATER_METER: (Quantity.WATER_VOLUME, Unit.M3),
        }[kind]
        prefix = "W" if kind == DeviceKind.WATER_METER else "E"
        for i in range(n):
            k = used.get(profile, 0)
            used[profile] = k + 1
            annual = budgets[profile] * weights[profile][k] / sum(weights[profile])
            collector, unit_id = place(building, i)
            peak = annual / reference_total(profile) * reference_peak(profile)
            devices.append(Device(f"{prefix}-{building}-{profile}-{k + 1:02d}", kind, quantity, unit, profile,
                                  building, collector, unit_id, annual, _rating(kind, peak)))
    number = 0
    for building, n in _LIGHTING_CONTROLLERS:
        for i in range(n):
            number += 1
            circuits = tuple(Circuit(f"L{number:02d}.{c + 1}", 16, round(rng.uniform(5.0, 9.0), 1))
                             for c in range(rng.randint(6, 12)))
            full_load = round(sum(c.load_amperes for c in circuits), 1)
            feeder = next(a for a in _BREAKERS_A if a >= 1.25 * full_load)
            collector, unit_id = place(building, i)
            devices.append(Device(f"L-{building}-lighting-{number:02d}", DeviceKind.CIRCUIT_MONITOR, Quantity.CURRENT,
                                  Unit.AMPERE, "office_lighting", building, collector, unit_id, 0.0, float(feeder),
                                  full_load, circuits))
    retrofits = tuple(retrofits)
    if retrofits:
        devices = [dataclasses.replace(d, retrofits=tuple(r for r in retrofits if d.profile in r.profiles))
                   for d in devices]
    return Compound("Xihuamen office compound", PEOPLE, FLOOR_AREA_M2, tuple(devices), retrofits)
