"""The sun's position and a roof's photovoltaic production.

Solar position from NOAA's general solar position equations (accurate to a fraction of a degree,
plenty for a simulator); clear-sky irradiance from the Kasten-Young air mass and Meinel's beam
transmittance; plane-of-array irradiance by the isotropic sky model (Duffie & Beckman).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import math
from typing import Final

# Central Belgium (between Brussels and Namur).
LATITUDE: Final = 50.5
LONGITUDE: Final = 4.5
SOLAR_CONSTANT: Final = 1361.0  # W/m2


@dataclass(frozen=True, slots=True)
class SunPosition:
    """Where the sun is, seen from the ground, and the angles needed for a tilted surface."""

    elevation: float  # degrees above the horizon
    declination: float  # radians
    hour_angle: float  # radians, negative in the morning

    @property
    def zenith_cos(self) -> float:
        """Return the cosine of the zenith angle (negative below the horizon)."""
        return math.sin(math.radians(self.elevation))


def sun_position(
    moment: datetime, latitude: float = LATITUDE, longitude: float = LONGITUDE
) -> SunPosition:
    """Return the sun's position at an aware moment, for a place (degrees, east positive)."""
    utc = moment.astimezone(UTC)
    day_of_year = utc.timetuple().tm_yday
    hours = utc.hour + utc.minute / 60 + (utc.second + utc.microsecond / 1e6) / 3600
    gamma = 2 * math.pi / 365 * (day_of_year - 1 + (hours - 12) / 24)
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hours * 60 + equation_of_time + 4 * longitude
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(latitude)
    zenith_cos = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(
        declination
    ) * math.cos(hour_angle)
    elevation = math.degrees(math.asin(max(-1.0, min(1.0, zenith_cos))))
    return SunPosition(elevation, declination, hour_angle)


@dataclass(frozen=True, slots=True)
class Roof:
    """A photovoltaic roof: peak power, orientation and losses."""

    peak_w: float = 5000.0
    inverter_max_w: float = 4600.0  # a 5 kWp roof behind a 4.6 kVA inverter, as is common
    tilt: float = 35.0  # degrees from horizontal
    azimuth: float = 0.0  # degrees from south, west positive
    performance_ratio: float = 0.83  # wiring, inverter, soiling, shading
    latitude: float = LATITUDE
    longitude: float = LONGITUDE

    def incidence_cos(self, sun: SunPosition) -> float:
        """Return the cosine of the angle between the sun's rays and the panels' normal."""
        phi = math.radians(self.latitude)
        beta = math.radians(self.tilt)
        gamma = math.radians(self.azimuth)
        delta, omega = sun.declination, sun.hour_angle
        return (
            math.sin(delta) * math.sin(phi) * math.cos(beta)
            - math.sin(delta) * math.cos(phi) * math.sin(beta) * math.cos(gamma)
            + math.cos(delta) * math.cos(phi) * math.cos(beta) * math.cos(omega)
            + math.cos(delta) * math.sin(phi) * math.sin(beta) * math.cos(gamma) * math.cos(omega)
            + math.cos(delta) * math.sin(beta) * math.sin(gamma) * math.sin(omega)
        )

    def power(self, sun: SunPosition, cloud_cover: float, air_temperature: float) -> float:
        """Return the AC power (W) for the sun's position, a cloud cover (0..1) and the air's temperature."""
        irradiance = plane_irradiance(self, sun, cloud_cover)
        if irradiance <= 0:
            return 0.0
        cell_temperature = air_temperature + irradiance / 800 * 25
        temperature_factor = 1 - 0.004 * (cell_temperature - 25)
        power = self.peak_w * irradiance / 1000 * self.performance_ratio * temperature_factor
        if power < 15:  # the inverter does not start below a few watts
            return 0.0
        return min(power, self.inverter_max_w)


def clear_sky(sun: SunPosition) -> tuple[float, float]:
    """Return the clear-sky direct normal and diffuse horizontal irradiance (W/m2)."""
    if sun.elevation <= 0:
        return 0.0, 0.0
    zenith = 90 - sun.elevation
    air_mass = 1 / (sun.zenith_cos + 0.50572 * float((96.07995 - zenith) ** -1.6364))
    direct_normal = SOLAR_CONSTANT * float(0.7 ** float(air_mass**0.678))
    diffuse = 0.12 * direct_normal * math.sqrt(sun.zenith_cos)
    return direct_normal, diffuse


def plane_irradiance(roof: Roof, sun: SunPosition, cloud_cover: float) -> float:
    """Return the irradiance on the roof's plane (W/m2) under a cloud cover between 0 and 1."""
    direct_normal, diffuse = clear_sky(sun)
    if direct_normal <= 0:
        return 0.0
    cover = min(max(cloud_cover, 0.0), 1.0)
    beam = direct_normal * float((1 - cover) ** 1.3)
    diffuse *= 1 + 1.5 * cover  # clouds scatter part of the beam into diffuse light
    horizontal = beam * sun.zenith_cos + diffuse
    tilt = math.radians(roof.tilt)
    return (
        beam * max(roof.incidence_cos(sun), 0.0)
        + diffuse * (1 + math.cos(tilt)) / 2
        + 0.2 * horizontal * (1 - math.cos(tilt)) / 2
    )
