"""Chengdu's climate as the load model needs it: air temperature by day and hour, and the sun.

Monthly mean temperatures and the cloudiness factor are rounded climate normals for Chengdu
(Wenjiang station, 1981–2010: mean air temperature; sunshine hours ÷ possible sunshine hours),
interpolated linearly between mid-months. Chengdu is humid and overcast ("蜀犬吠日"), so the diurnal
range is small (about 7 °C) and PV yields only ~875 kWh per kWp a year, the seed's 17,500 kWh for
20 kWp. Sun position follows the usual declination / hour-angle formulas (Cooper; Spencer's
equation of time), good to a fraction of a degree, which is ample for a load shape.
"""

from __future__ import annotations

import math
from datetime import date

LATITUDE = 30.67  # degrees north, central Chengdu
LONGITUDE = 104.07  # degrees east
_CLOCK_MERIDIAN = 120.0  # China Standard Time is the 120° E meridian
DIURNAL_RANGE = 7.0  # °C between the early-morning minimum and the 15:00 maximum

MONTHLY_MEAN_TEMPERATURE = (5.6, 7.9, 11.6, 16.9, 21.3, 23.9, 25.6, 25.3, 21.8, 17.4, 12.6, 7.2)
MONTHLY_CLEARNESS = (0.35, 0.37, 0.42, 0.47, 0.48, 0.45, 0.50, 0.52, 0.40, 0.36, 0.36, 0.33)


def _monthly(table: tuple[float, ...], day: date) -> float:
    """Linear interpolation between mid-month values (day 15), wrapping around the year."""
    month = day.month - 1
    offset = (day.day - 15) / 30.4
    other = (month + (1 if offset >= 0 else -1)) % 12
    weight = abs(offset)
    return table[month] * (1 - weight) + table[other] * weight


def daily_mean_temperature(day: date) -> float:
    return _monthly(MONTHLY_MEAN_TEMPERATURE, day)


def clearness(day: date) -> float:
    return _monthly(MONTHLY_CLEARNESS, day)


def hourly_temperatures(day: date) -> list[float]:
    """Air temperature at the middle of each local clock hour 0–23 (maximum near 15:00)."""
    mean = daily_mean_temperature(day)
    return [mean + DIURNAL_RANGE / 2 * math.cos(2 * math.pi * (hour + 0.5 - 15) / 24) for hour in range(24)]


def sun_heights(day: date) -> list[float]:
    """sin(solar elevation) at the middle of each local clock hour 0–23; negative at night."""
    n = day.timetuple().tm_yday
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + n) / 365)
    b = 2 * math.pi * (n - 81) / 364
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)  # minutes
    correction = (4 * (LONGITUDE - _CLOCK_MERIDIAN) + equation_of_time) / 60  # hours
    phi = math.radians(LATITUDE)
    heights = []
    for hour in range(24):
        solar_time = hour + 0.5 + correction
        hour_angle = math.radians(15 * (solar_time - 12))
        heights.append(math.sin(phi) * math.sin(declination)
                       + math.cos(phi) * math.cos(declination) * math.cos(hour_angle))
    return heights
