"""The factor sets and methodologies this project ships, and the lookups by (id, version).

Each factor cites where its number comes from. A changed number is a new version with a new hash; a
published (id, version) is never edited, because on-chain results name it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP

from ledger.accounting.errors import UnknownFactorSet, UnknownMethodology
from ledger.accounting.factors import EmissionFactor, FactorSet, combine_factor_sets
from ledger.accounting.methodology import ActivityRule, IsoCategory, Methodology, Rounding, RoundingRule, Scope
from ledger.accounting.quantities import Quantity

_SEED = ("Seed document: zero-carbon institution platform, Xihuamen office compound, Qingyang district, "
         "Chengdu (2022), section 5 'energy/water saving effect'")

XIHUAMEN_SEED = FactorSet(
    id="xihuamen-seed", version="2022.1",
    title="Factors the Xihuamen zero-carbon office document uses",
    source=_SEED,
    # The document applies them to 2019 electricity, 2021 water and its 2022 plans; it states no period.
    valid_from=date(2019, 1, 1), valid_until=date(2022, 12, 31),
    factors=(
        EmissionFactor("electricity.grid.sichuan", Quantity("0.103", "kgCO2e/kWh"), "CO2",
                       f"{_SEED}: 电碳排放因子 0.103",
                       "Sichuan grid as the document states it; far below the national average because Sichuan "
                       "electricity is mostly hydropower."),
        EmissionFactor("water.supply", Quantity("0.194", "kgCO2e/m3"), "CO2", f"{_SEED}: 水碳排放折算因子 0.194"),
        EmissionFactor("waste.recyclable", Quantity("2.06", "kgCO2e/kg"), "CO2",
                       f"{_SEED}: 可回收垃圾平均碳排放因子 2.06", "Emissions avoided per kg of recyclables sorted."),
        EmissionFactor("paper.a4", Quantity("2.6", "gCO2e/sheet"), "CO2", f"{_SEED}: 纸张碳排放因子 2.6 g"),
        EmissionFactor("meeting.green_travel", Quantity("3.6", "kgCO2e/person"), "CO2",
                       f"{_SEED}: 人均绿色出行减碳量 3.6 kg",
                       "Per participant per meeting, for green travel instead of driving; the document's estimate."),
    ),
)

CN_GRID_2022 = FactorSet(
    id="cn-mee-grid", version="2022",
    title="China national grid average emission factor, 2022",
    source="Ministry of Ecology and Environment, 关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知 "
           "(环办气候函〔2023〕43号, February 2023)",
    valid_from=date(2022, 1, 1), valid_until=date(2022, 12, 31),
    factors=(
        EmissionFactor("electricity.grid.cn_national", Quantity("0.5703", "tCO2e/MWh"), "CO2",
                       "MEE 环办气候函〔2023〕43号: 2022年度全国电网平均排放因子 0.5703 tCO2/MWh"),
    ),
)

_IPCC = ("IPCC 2006 Guidelines for National GHG Inventories, Vol. 2 Energy: default net calorific values "
         "(Ch. 1, Table 1.2) × default CO2 emission factors (Ch. 2, Table 2.2; Ch. 3, Table 3.2.1)")

FUELS = FactorSet(
    id="fuels", version="2006.1",
    title="Natural gas and vehicle fuels, CO2 from combustion",
    source=_IPCC + "; China enterprise GHG accounting guidelines (NDRC 2013–2015) for natural gas by volume",
    valid_from=date(2006, 1, 1), valid_until=None,  # defaults with no stated expiry
    factors=(
        EmissionFactor("natural_gas.mass", Quantity("2.6928", "kgCO2e/kg"), "CO2",
                       f"{_IPCC}: natural gas 48.0 TJ/Gg × 56 100 kg CO2/TJ"),
        EmissionFactor("gasoline.mass", Quantity("3.06999", "kgCO2e/kg"), "CO2",
                       f"{_IPCC}: motor gasoline 44.3 TJ/Gg × 69 300 kg CO2/TJ"),
        EmissionFactor("diesel.mass", Quantity("3.1863", "kgCO2e/kg"), "CO2",
                       f"{_IPCC}: gas/diesel oil 43.0 TJ/Gg × 74 100 kg CO2/TJ"),
        EmissionFactor("natural_gas.volume", Quantity("2.1622", "kgCO2e/m3"), "CO2",
                       "China enterprise GHG accounting guidelines (NDRC 2013–2015) default natural gas parameters: "
                       "net calorific value 389.31 GJ/10⁴ Nm³, carbon content 15.30 tC/TJ, oxidation 99 %",
                       "389.31 × 15.30 × 0.99 × 44/12 ÷ 10⁴ = 2.16219 kg CO2/Nm³, rounded to 4 places.",
                       valid_from=date(2013, 1, 1)),
    ),
)

_OWID = ("Our World in Data, 'Carbon footprint of travel per kilometer, 2018' (gCO2e per passenger-km), "
         "compiled from UK BEIS/DEFRA Greenhouse gas reporting: conversion factors 2019")
_PROXY = "UK averages, used as a proxy until a Chinese per-passenger-km source is adopted."

TRAVEL_MODES = FactorSet(
    id="travel-modes", version="2018.1",
    title="Travel modes per passenger-km",
    source=_OWID,
    valid_from=date(2018, 1, 1), valid_until=None,
    factors=tuple(
        EmissionFactor(f"travel.{key}", Quantity(value, "gCO2e/passenger-km"), "CO2e", f"{_OWID}: {label}", note)
        for key, value, label, note in (
            ("national_rail", "41.15", "National rail", _PROXY),
            ("light_rail_tram", "35.08", "Light rail and tram", _PROXY),
            ("metro", "30.84", "London Underground", _PROXY),
            ("bus", "104.71", "Bus", _PROXY),
            ("coach", "27.79", "Coach", _PROXY),
            ("taxi", "150.18", "Taxi", _PROXY),
            ("car_petrol_medium", "192.28", "Medium car (petrol)", _PROXY + " One occupant (the source is per vehicle-km)."),
            ("walk_cycle", "0", "(not in the source)", "Walking and cycling burn no fuel; zero by definition."),
        )
    ),
)

CN_PUBLIC_INSTITUTION_2022 = combine_factor_sets(
    "cn-public-institution", "2022.1", "Factors for a Chinese public institution's 2022 inventory",
    (CN_GRID_2022, FUELS, TRAVEL_MODES, XIHUAMEN_SEED),
)

# The seed document's rounding, worked out from its printed figures: every line to 0.1 kg HALF_UP
# (11,059.3950525 → 11,059.4; 45,595.6074 → 45,595.6; 3,665.4942 → 3,665.5); totals are sums of the
# rounded lines; the annual total restated to 0.1 t before pricing (233,297.6 kg → 233.3 t; 233.3 × 130 =
# 30,329 CNY, and 233.3 × 15 × 130 = 454,935 CNY, which only the rounded tonnes give); payback to 0.01 yr.
_SEED_ROUNDING = Rounding(
    emissions=RoundingRule(1, ROUND_HALF_UP), energy=RoundingRule(3, ROUND_HALF_UP),
    tonnes=RoundingRule(1, ROUND_HALF_UP), money=RoundingRule(0, ROUND_HALF_UP),
    years=RoundingRule(2, ROUND_HALF_UP), intensity=RoundingRule(4, ROUND_HALF_UP),
)

_GRID = "electricity.grid.sichuan"
_PURCHASED_ELECTRICITY = (Scope.SCOPE_2, IsoCategory.IMPORTED_ENERGY)
_GOODS_USED = (Scope.SCOPE_3, IsoCategory.PRODUCTS_USED)  # water supply, paper, waste

XIHUAMEN_MEASURES = Methodology(
    id="xihuamen-measures", version="1",
    title="Annual emission reductions of retrofit measures, as the Xihuamen document computes them",
    result_unit="kgCO2e/yr", rounding=_SEED_ROUNDING,
    rules=(
        ActivityRule("iot_control_strategies", "kWh/yr", _GRID, *_PURCHASED_ELECTRICITY),
        ActivityRule("split_air_conditioners", "kWh/yr", _GRID, *_PURCHASED_ELECTRICITY),
        ActivityRule("elevator_energy_feedback", "kWh/yr", _GRID, *_PURCHASED_ELECTRICITY),
        ActivityRule("rooftop_pv", "kWh/yr", _GRID, *_PURCHASED_ELECTRICITY),
        ActivityRule("led_garage_lighting", "kWh/yr", _GRID, *_PURCHASED_ELECTRICITY),
        ActivityRule("rainwater_recovery", "m3/yr", "water.supply", *_GOODS_USED),
        ActivityRule("waste_sorting", "kg/yr", "waste.recyclable", *_GOODS_USED),
        ActivityRule("paperless_office", "sheet/yr", "paper.a4", *_GOODS_USED, ("gco2e_to_kgco2e",)),
        ActivityRule("meeting_paper", "sheet/yr", "paper.a4", *_GOODS_USED, ("gco2e_to_kgco2e",)),
        ActivityRule("meeting_green_travel", "person/yr", "meeting.green_travel", Scope.SCOPE_3, IsoCategory.TRANSPORTATION),
        ActivityRule("water_saving_fixtures", "m3/yr", "water.supply", *_GOODS_USED),
    ),
)

_TRAVEL = (Scope.SCOPE_3, IsoCategory.TRANSPORTATION)
TRAVEL_MODE_KEYS = tuple(key.removeprefix("travel.") for key in TRAVEL_MODES.keys())

PUBLIC_INSTITUTION_INVENTORY = Methodology(
    id="public-institution-inventory", version="1",
    title="Period inventory of a public institution from metered and recorded activity",
    result_unit="kgCO2e",
    rounding=Rounding(
        emissions=RoundingRule(3), energy=RoundingRule(3), tonnes=RoundingRule(3),
        money=RoundingRule(2), years=RoundingRule(2), intensity=RoundingRule(4),
    ),
    rules=(
        ActivityRule("electricity.grid", "kWh", "electricity.grid.cn_national", Scope.SCOPE_2,
                     IsoCategory.IMPORTED_ENERGY, ("tco2e_to_kgco2e", "mwh_to_kwh")),
        ActivityRule("natural_gas", "m3", "natural_gas.volume", Scope.SCOPE_1, IsoCategory.DIRECT),
        ActivityRule("gasoline", "kg", "gasoline.mass", Scope.SCOPE_1, IsoCategory.DIRECT),
        ActivityRule("diesel", "kg", "diesel.mass", Scope.SCOPE_1, IsoCategory.DIRECT),
        ActivityRule("water.supply", "m3", "water.supply", Scope.SCOPE_3, IsoCategory.PRODUCTS_USED),
        *(ActivityRule(f"travel.{mode}", "passenger-km", f"travel.{mode}", *_TRAVEL, ("gco2e_to_kgco2e",))
          for mode in TRAVEL_MODE_KEYS),
    ),
)

# A zero-carbon meeting (seed: 零碳会议室建设, 会议碳中和). The room's electricity takes the same grid factor as
# the institution's own inventory, so a kWh is counted alike in both (and conservatively: Sichuan's 0.103 is
# the seed's figure for its reduction estimates, not for a claim that credits must cover). Paper is the seed's
# 2.6 g per A4 sheet. `offset.green_travel` is NOT an emission: it is the seed's 人均绿色出行减碳量, 3.6 kg per
# participant who travelled green, an avoided-emission estimate that reduces a meeting's reported net
# (never below zero) but is not a credit; ledger/accounting/meeting.py applies it and says so.
ZERO_CARBON_MEETING = Methodology(
    id="zero-carbon-meeting", version="1",
    title="A meeting's footprint: room energy in the booked slot, paper, participants' travel; green-behaviour offsets",
    result_unit="kgCO2e",
    rounding=Rounding(
        emissions=RoundingRule(3), energy=RoundingRule(3), tonnes=RoundingRule(3),
        money=RoundingRule(2), years=RoundingRule(2), intensity=RoundingRule(4),
    ),
    rules=(
        ActivityRule("electricity.grid", "kWh", "electricity.grid.cn_national", *_PURCHASED_ELECTRICITY,
                     ("tco2e_to_kgco2e", "mwh_to_kwh")),
        ActivityRule("water.supply", "m3", "water.supply", *_GOODS_USED),
        ActivityRule("natural_gas", "m3", "natural_gas.volume", Scope.SCOPE_1, IsoCategory.DIRECT),
        ActivityRule("paper.a4", "sheet", "paper.a4", *_GOODS_USED, ("gco2e_to_kgco2e",)),
        *(ActivityRule(f"travel.{mode}", "passenger-km", f"travel.{mode}", *_TRAVEL, ("gco2e_to_kgco2e",))
          for mode in TRAVEL_MODE_KEYS),
        ActivityRule("offset.green_travel", "person", "meeting.green_travel", *_TRAVEL),
    ),
)

FACTOR_SETS: dict[tuple[str, str], FactorSet] = {
    (s.id, s.version): s for s in (XIHUAMEN_SEED, CN_GRID_2022, FUELS, TRAVEL_MODES, CN_PUBLIC_INSTITUTION_2022)
}
METHODOLOGIES: dict[tuple[str, str], Methodology] = {
    (m.id, m.version): m for m in (XIHUAMEN_MEASURES, PUBLIC_INSTITUTION_INVENTORY, ZERO_CARBON_MEETING)
}


def factor_set(set_id: str, version: str) -> FactorSet:
    """The published factor set (id, version); UnknownFactorSet lists the versions that do exist."""
    try:
        return FACTOR_SETS[(set_id, version)]
    except KeyError:
        raise UnknownFactorSet(set_id, version, tuple(v for i, v in FACTOR_SETS if i == set_id)) from None


def methodology(methodology_id: str, version: str) -> Methodology:
    """The published methodology (id, version); UnknownMethodology lists the versions that do exist."""
    try:
        return METHODOLOGIES[(methodology_id, version)]
    except KeyError:
        known = tuple(v for i, v in METHODOLOGIES if i == methodology_id)
        raise UnknownMethodology(methodology_id, version, known) from None
