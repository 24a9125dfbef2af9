"""The 45 districts of Lower Saxony as SVG path data, projected once per process.

Source: BKG VG5000 (as of 01.01.2021), Datenlizenz Deutschland – Namensnennung 2.0; every
map drawn from it shows ATTRIBUTION linked to ATTRIBUTION_URL next to it.

Projection: equirectangular, longitude scaled by cos(52.8°), the state's middle
latitude, so the state keeps its shape without a projection library. Coordinates are
rounded to 0.1 of a map unit (the map is MAP_WIDTH units wide), which keeps the page
small and is far below a screen pixel.
"""

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from markupsafe import Markup

ATTRIBUTION = "© GeoBasis-DE / BKG 2021 (Daten verändert)"
ATTRIBUTION_URL = "https://www.bkg.bund.de"
REFERENCE_LATITUDE = 52.8
MAP_WIDTH = 560.0


@dataclass(frozen=True)
class DistrictShape:
    ags: str
    name: str
    path: Markup  # the `d` attribute; digits, spaces, M and Z only, so safe as it is


@dataclass(frozen=True)
class MapShapes:
    width: float
    height: float
    shapes: dict[str, DistrictShape]  # by AGS


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


@cache
def map_shapes() -> MapShapes:
    text = files("npa.contracts").joinpath("data/niedersachsen_kreise.geojson").read_text("utf-8")
    features = json.loads(text)["features"]
    points = [point for feature in features for ring in _rings(feature["geometry"]) for point in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    x_factor = math.cos(math.radians(REFERENCE_LATITUDE))
    scale = MAP_WIDTH / ((east - west) * x_factor)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * x_factor * scale, 1), round((north - lat) * scale, 1)

    shapes = {}
    for feature in features:
        parts = []
        for ring in _rings(feature["geometry"]):
            projected: list[tuple[float, float]] = []
            for lon, lat in ring:
                point = project(lon, lat)
                if not projected or point != projected[-1]:
                    projected.append(point)
            # After M, further coordinate pairs are implicit line-tos (SVG path grammar).
            parts.append("M" + " ".join(f"{x:g} {y:g}" for x, y in projected) + "Z")
        ags = feature["properties"]["ags"]
        shapes[ags] = DistrictShape(ags, feature["properties"]["name"], Markup("".join(parts)))
    return MapShapes(MAP_WIDTH, round((north - south) * scale, 1), shapes)
