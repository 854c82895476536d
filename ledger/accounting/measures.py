"""Reduction measures: one calculator per measure type in the seed's table, and the seed's table itself.

Each calculator turns its parameters (Quantities in stated units) into the activity the measure avoids
per year — kWh/yr, m³/yr, kg/yr, sheets/yr, participants/yr — with the formula as the document writes
it. `estimate` then applies the methodology rule for that measure (which factor from the factor set,
which scope, which rounding) through the one `emission_line`. Nothing here holds a result: every figure
of `xihuamen_measures()` is computed from the document's inputs, and the document's printed figures are
kept beside them only to show that they match.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from ledger.accounting import published
from ledger.accounting.economics import Economics, retrofit_economics
from ledger.accounting.errors import InvalidParameter, UnitMismatch
from ledger.accounting.factors import FactorSet, Period
from ledger.accounting.methodology import EmissionLine, Methodology, emission_line
from ledger.accounting.quantities import ONE, Quantity, canonical_decimal, format_decimal, percent, quantity_sum, unit


class MeasureGroup(str, Enum):
    """The document's three groups. Its 'electric' group (电碳) also holds waste sorting: 137,767.5 kg."""

    ELECTRIC = "electric"
    WATER = "water"
    GREEN_OFFICE = "green office"


@dataclass(frozen=True, slots=True)
class AvoidedActivity:
    measure: str  # the methodology rule this activity is accounted under
    title: str
    group: MeasureGroup
    avoided: Quantity  # per year
    formula: str


@dataclass(frozen=True, slots=True)
class MeasureEstimate:
    activity: AvoidedActivity
    line: EmissionLine  # avoided kgCO2e/yr, exact and rounded by the methodology
    document: Decimal | None = None  # the figure the seed prints, for comparison only

    @property
    def formula(self) -> str:
        """The measure's formula followed by the factor actually applied (after the rule's conversions)."""
        return f"{self.activity.formula} × {_show(self.line.factor)}"

    @property
    def matches_document(self) -> bool | None:
        return None if self.document is None else self.line.rounded.value == self.document


def estimate(activity: AvoidedActivity, methodology: Methodology, factors: FactorSet, period: Period,
             document: Decimal | None = None) -> MeasureEstimate:
    """The avoided emissions of one measure under `methodology` with `factors` valid for `period`."""
    line = emission_line(methodology, activity.measure, activity.avoided, factors, period)
    return MeasureEstimate(activity, line, document)


def _expect(value: Quantity, unit_text: str, what: str) -> Quantity:
    if value.unit != unit(unit_text):
        raise UnitMismatch(what, str(value.unit), unit_text)
    return value


def _rate(value: Quantity, what: str) -> Quantity:
    if value.unit != ONE:
        raise UnitMismatch(what, str(value.unit), "a dimensionless rate (percent)")
    if not 0 <= value.value <= 1:
        raise InvalidParameter(what, _show(value), "must be between 0 and 100 %")
    return value


def _show(q: Quantity) -> str:
    """A figure as the document writes it: no trailing zeros, thousands separated, rates in percent."""
    if q.unit == ONE:
        return f"{format_decimal((q.value * 100).normalize())} %"
    return f"{format_decimal(q.value.normalize())} {q.unit}"


def iot_control_strategies(annual_consumption: Quantity, saving_rate: Quantity) -> AvoidedActivity:
    """IoT monitoring and control strategies save a share of the whole compound's electricity."""
    _expect(annual_consumption, "kWh/yr", "annual consumption")
    return AvoidedActivity("iot_control_strategies", "IoT monitoring and control strategies", MeasureGroup.ELECTRIC,
                           annual_consumption * _rate(saving_rate, "saving rate"),
                           f"{_show(annual_consumption)} × {_show(saving_rate)}")


def split_air_conditioners(capacity: Quantity, power_per_capacity: Quantity, hours: Quantity, days: Quantity,
                           saving_rate: Quantity) -> AvoidedActivity:
    """Refrigerant replacement and efficiency upgrade of split units, sized by capacity class (匹, P)."""
    _expect(capacity, "P", "capacity")
    _expect(power_per_capacity, "kWh/(h·P)", "power per capacity")
    _expect(hours, "h/d", "running hours")
    _expect(days, "d/yr", "running days")
    avoided = capacity * power_per_capacity * hours * days * _rate(saving_rate, "saving rate")
    return AvoidedActivity("split_air_conditioners", "Split air-conditioner replacement", MeasureGroup.ELECTRIC, avoided,
                           " × ".join(_show(q) for q in (capacity, power_per_capacity, hours, days, saving_rate)))


def elevator_energy_feedback(daily_use: Quantity, days: Quantity, elevators: Quantity,
                             saving_rate: Quantity) -> AvoidedActivity:
    """Regenerative drives return braking energy: a share of each elevator's daily use."""
    _expect(daily_use, "kWh/(d·elevator)", "daily use")
    _expect(days, "d/yr", "running days")
    _expect(elevators, "elevator", "elevators")
    avoided = daily_use * days * elevators * _rate(saving_rate, "saving rate")
    return AvoidedActivity("elevator_energy_feedback", "Elevator energy feedback", MeasureGroup.ELECTRIC, avoided,
                           " × ".join(_show(q) for q in (daily_use, days, elevators, saving_rate)))


def rooftop_pv(annual_generation: Quantity) -> AvoidedActivity:
    """On-site generation displaces grid electricity one for one."""
    _expect(annual_generation, "kWh/yr", "annual generation")
    return AvoidedActivity("rooftop_pv", "Rooftop PV", MeasureGroup.ELECTRIC, annual_generation, _show(annual_generation))


def _led_inputs(power: Quantity, hours_before: Quantity, hours_after: Quantity, days: Quantity, lamps: Quantity) -> None:
    _expect(power, "kWh/(h·lamp)", "power per lamp")
    _expect(hours_before, "h/d", "hours lit before")
    _expect(hours_after, "h/d", "hours lit after")
    _expect(days, "d/yr", "days")
    _expect(lamps, "lamp", "lamps")


def led_garage_lighting(power: Quantity, hours_before: Quantity, hours_after: Quantity, days: Quantity,
                        lamps: Quantity) -> AvoidedActivity:
    """Motion-sensing LEDs: the saving is the hours no longer lit, (before − after) × power."""
    _led_inputs(power, hours_before, hours_after, days, lamps)
    avoided = power * (hours_before - hours_after) * days * lamps
    return AvoidedActivity("led_garage_lighting", "LED garage lighting (physically consistent)", MeasureGroup.ELECTRIC,
                           avoided, f"{_show(power)} × ({_show(hours_before)} − {_show(hours_after)}) × {_show(days)} × {_show(lamps)}")


def led_garage_lighting_as_printed(power: Quantity, hours_before: Quantity, hours_after: Quantity, days: Quantity,
                                   lamps: Quantity) -> AvoidedActivity:
    """The document's LED formula as printed: power × hours_before ÷ (hours_after / hours_before) × …

    Dividing by the lit fraction (6/24) multiplies the always-on consumption by four instead of keeping
    the 18/24 that is no longer lit; see LED_NOTE. Kept so the document's totals can be reproduced.
    """
    _led_inputs(power, hours_before, hours_after, days, lamps)
    avoided = power * hours_before / (hours_after / hours_before) * days * lamps
    return AvoidedActivity("led_garage_lighting", "LED garage lighting (as printed)", MeasureGroup.ELECTRIC, avoided,
                           f"{_show(power)} × {_show(hours_before)} ÷ ({_show(hours_after)} / {_show(hours_before)})"
                           f" × {_show(days)} × {_show(lamps)}")


LED_NOTE = ("The document divides the always-on use by the lit fraction (÷ 6/24), which multiplies it by 4; "
            "the saving of lighting 6 h instead of 24 h is the 18 unlit hours: 0.008 × 18 × 300 × 3,000 × 0.103. "
            "The totals use the printed line, to reproduce the document; the corrected total is shown beside them.")


def rainwater_recovery(daily_volume: Quantity, days: Quantity) -> AvoidedActivity:
    """Collected rainwater replaces supplied water for irrigation on the days the tank works."""
    _expect(daily_volume, "m3/d", "daily volume")
    _expect(days, "d/yr", "working days")
    return AvoidedActivity("rainwater_recovery", "Rainwater recovery", MeasureGroup.WATER, daily_volume * days,
                           f"{_show(daily_volume)} × {_show(days)}")


def waste_sorting(annual_mass: Quantity) -> AvoidedActivity:
    """Recyclables sorted out of mixed waste, per kg."""
    _expect(annual_mass, "kg/yr", "recyclables per year")
    return AvoidedActivity("waste_sorting", "Waste sorting", MeasureGroup.ELECTRIC, annual_mass, _show(annual_mass))


def paperless_office(offices: Quantity, sheets_per_office: Quantity) -> AvoidedActivity:
    """Paper no longer printed in the offices."""
    _expect(offices, "office", "offices")
    _expect(sheets_per_office, "sheet/(office·yr)", "sheets per office")
    return AvoidedActivity("paperless_office", "Paperless office", MeasureGroup.GREEN_OFFICE, offices * sheets_per_office,
                           f"{_show(offices)} × {_show(sheets_per_office)}")


def meeting_paper(meetings: Quantity, participants: Quantity, sheets_per_participant: Quantity) -> AvoidedActivity:
    """Paper no longer handed out in the zero-carbon meeting room."""
    _expect(meetings, "meeting/yr", "meetings")
    _expect(participants, "person/meeting", "participants")
    _expect(sheets_per_participant, "sheet/person", "sheets per participant")
    return AvoidedActivity("meeting_paper", "Zero-carbon meeting room: paper", MeasureGroup.GREEN_OFFICE,
                           meetings * participants * sheets_per_participant,
                           f"{_show(meetings)} × {_show(participants)} × {_show(sheets_per_participant)}")


def meeting_green_travel(meetings: Quantity, participants: Quantity) -> AvoidedActivity:
    """Participants who travel green to meetings, counted per person per meeting."""
    _expect(meetings, "meeting/yr", "meetings")
    _expect(participants, "person/meeting", "participants")
    return AvoidedActivity("meeting_green_travel", "Meeting participants' green travel", MeasureGroup.GREEN_OFFICE,
                           meetings * participants, f"{_show(meetings)} × {_show(participants)}")


def water_saving_fixtures(annual_use: Quantity, saving_rate: Quantity) -> AvoidedActivity:
    """Sensor urinals, dual-flush toilets and aerated taps save a share of the baseline water use."""
    _expect(annual_use, "m3/yr", "annual water use")
    return AvoidedActivity("water_saving_fixtures", "Water-saving fixtures", MeasureGroup.WATER,
                           annual_use * _rate(saving_rate, "saving rate"), f"{_show(annual_use)} × {_show(saving_rate)}")


@dataclass(frozen=True)
class MeasuresTable:
    """A set of measure estimates with the document's groups, totals, the LED correction and economics."""

    methodology: Methodology
    factors: FactorSet
    period: Period
    lines: tuple[MeasureEstimate, ...]
    groups: dict[MeasureGroup, Quantity]  # sums of rounded lines
    total: Quantity
    led_physical: MeasureEstimate  # the LED line recomputed with the physically consistent formula
    corrected_groups: dict[MeasureGroup, Quantity]
    corrected_total: Quantity
    economics: Economics
    corrected_economics: Economics
    document_totals: dict[str, Decimal]  # the source's printed totals, for comparison only

    def to_json(self) -> dict[str, object]:
        """The table for machines: every Decimal as a canonical string."""
        printed = next(m for m in self.lines if m.activity.measure == self.led_physical.activity.measure)
        return {
            "kind": "zcl.measures-table/1",
            "methodology": {"id": self.methodology.id, "version": self.methodology.version,
                            "hash": self.methodology.content_hash},
            "factor_set": {"id": self.factors.id, "version": self.factors.version, "hash": self.factors.content_hash},
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "unit": self.methodology.result_unit,
            "lines": [_line_json(m) for m in self.lines],
            "groups": {g.value: canonical_decimal(q.value) for g, q in self.groups.items()},
            "total": canonical_decimal(self.total.value),
            "led": {"as_printed": _line_json(printed), "physical": _line_json(self.led_physical), "reason": LED_NOTE,
                    "totals_use": "as_printed",
                    "corrected_groups": {g.value: canonical_decimal(q.value) for g, q in self.corrected_groups.items()},
                    "corrected_total": canonical_decimal(self.corrected_total.value)},
            "economics": self.economics.to_json(),
            "corrected_economics": self.corrected_economics.to_json(),
            "document": {k: canonical_decimal(v) for k, v in self.document_totals.items()},
        }


def _line_json(m: MeasureEstimate) -> dict[str, object]:
    line = m.line
    return {
        "measure": m.activity.measure, "title": m.activity.title, "group": m.activity.group.value,
        "scope": int(line.scope), "iso_category": int(line.iso_category), "formula": m.formula,
        "avoided": canonical_decimal(line.amount.value), "avoided_unit": str(line.amount.unit),
        "factor": line.factor_key, "factor_value": canonical_decimal(line.factor.value), "factor_unit": str(line.factor.unit),
        "exact": canonical_decimal(line.exact.value), "rounded": canonical_decimal(line.rounded.value),
        "document": None if m.document is None else canonical_decimal(m.document), "matches_document": m.matches_document,
    }


def _grouped(lines: tuple[MeasureEstimate, ...]) -> tuple[dict[MeasureGroup, Quantity], Quantity]:
    kg_per_yr = unit("kgCO2e/yr")
    groups = {g: quantity_sum((m.line.rounded for m in lines if m.activity.group == g), kg_per_yr) for g in MeasureGroup}
    return groups, quantity_sum(groups.values(), kg_per_yr)


# The seed's printed figures (kgCO2e/yr), used only for the "document" column and the match flags.
XIHUAMEN_DOCUMENT: dict[str, Decimal] = {k: Decimal(v) for k, v in (
    ("iot_control_strategies", "11059.4"), ("split_air_conditioners", "45595.6"), ("elevator_energy_feedback", "6056.4"),
    ("rooftop_pv", "1802.5"), ("led_garage_lighting", "71193.6"), ("rainwater_recovery", "174.6"),
    ("waste_sorting", "2060"), ("paperless_office", "1040"), ("meeting_paper", "650"),
    ("meeting_green_travel", "90000"), ("water_saving_fixtures", "3665.5"),
)}
XIHUAMEN_DOCUMENT_TOTALS: dict[str, Decimal] = {k: Decimal(v) for k, v in (
    ("electric", "137767.5"), ("water", "3840.1"), ("green office", "91690"), ("total", "233297.6"),
    ("investment", "2230000"), ("payback", "1.85"), ("annual_savings", "1205000"), ("avoided_t", "233.3"),
    ("credit_value", "30329"), ("horizon_avoided_t", "3499.5"), ("horizon_credit_value", "454935"),
)}


def _led_inputs_seed() -> tuple[Quantity, ...]:
    return (Quantity("0.008", "kWh/(h·lamp)"), Quantity(24, "h/d"), Quantity(6, "h/d"), Quantity(300, "d/yr"),
            Quantity(3000, "lamp"))


def xihuamen_activities() -> tuple[AvoidedActivity, ...]:
    """The document's eleven measures with its inputs, in its order (LED as printed)."""
    meetings, participants = Quantity(500, "meeting/yr"), Quantity(50, "person/meeting")
    return (
        iot_control_strategies(Quantity("7158184.5", "kWh/yr"), percent("1.5")),
        split_air_conditioners(Quantity(717, "P"), Quantity("0.735", "kWh/(h·P)"), Quantity(8, "h/d"),
                               Quantity(300, "d/yr"), percent(35)),
        elevator_energy_feedback(Quantity(40, "kWh/(d·elevator)"), Quantity(300, "d/yr"), Quantity(14, "elevator"),
                                 percent(35)),
        rooftop_pv(Quantity(17500, "kWh/yr")),
        led_garage_lighting_as_printed(*_led_inputs_seed()),
        rainwater_recovery(Quantity(6, "m3/d"), Quantity(150, "d/yr")),
        waste_sorting(Quantity(1000, "kg/yr")),
        paperless_office(Quantity(400, "office"), Quantity(1000, "sheet/(office·yr)")),
        meeting_paper(meetings, participants, Quantity(10, "sheet/person")),
        meeting_green_travel(meetings, participants),
        water_saving_fixtures(Quantity(62981, "m3/yr"), percent(30)),
    )


def xihuamen_measures(methodology: Methodology | None = None, factors: FactorSet | None = None,
                      period: Period = Period.year(2022)) -> MeasuresTable:
    """The seed's reduction table computed from its inputs (defaults: xihuamen-measures@1, xihuamen-seed@2022.1)."""
    methodology = methodology or published.XIHUAMEN_MEASURES
    factors = factors or published.XIHUAMEN_SEED
    lines = tuple(estimate(a, methodology, factors, period, XIHUAMEN_DOCUMENT.get(a.measure))
                  for a in xihuamen_activities())
    led_physical = estimate(led_garage_lighting(*_led_inputs_seed()), methodology, factors, period)
    corrected = tuple(led_physical if m.activity.measure == "led_garage_lighting" else m for m in lines)
    groups, total = _grouped(lines)
    corrected_groups, corrected_total = _grouped(corrected)

    def economics_of(avoided: Quantity) -> Economics:
        return retrofit_economics(
            avoided, investments=(Quantity(1810000, "CNY"), Quantity(420000, "CNY")),  # earlier + 2022 retrofits
            annual_savings=Quantity(1205000, "CNY/yr"), credit_price=Quantity(130, "CNY/tCO2e"),
            horizon=Quantity(15, "yr"), rounding=methodology.rounding)

    return MeasuresTable(methodology, factors, period, lines, groups, total, led_physical, corrected_groups,
                         corrected_total, economics_of(total), economics_of(corrected_total), XIHUAMEN_DOCUMENT_TOTALS)
