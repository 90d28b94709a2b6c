"""Build the world map the directory draws: SVG paths of country outlines by ISO code.

Run once when the geometry changes; the output, ``consortia/data/world-110m.json``, is
committed. The source is Natural Earth's 1:110m countries as TopoJSON, from the npm
package world-atlas (ISC licence, Mike Bostock; Natural Earth is public domain):

    npm pack world-atlas && tar xzf world-atlas-*.tgz
    python manage.py build_world_map package/countries-110m.json

Projection: Natural Earth I (Šavrič et al.), a polynomial pseudo-cylindrical projection
that needs no library. Antarctica is left out.
"""

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand
from django_countries import countries

from consortia.selectors import WORLD_MAP

WIDTH = 960
# Countries world-atlas has no numeric code for: fold them into the country whose
# outline they belong to in ISO 3166, or keep them under their user-assigned code.
BY_NAME = {"Somaliland": "SO", "N. Cyprus": "CY", "Kosovo": "XK"}
LEFT_OUT = {"AQ"}


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indices: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return unwrap(points)


def unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Rings that cross the antimeridian (Fiji, Chukotka) would draw a line across the
    whole map: make their longitudes continuous, then clip them to the map's edge."""
    if not points:
        return points
    result = [points[0]]
    for lon, lat in points[1:]:
        previous = result[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        result.append((lon, lat))
    mean = sum(lon for lon, _ in result) / len(result)
    shift = -360 if mean > 180 else 360 if mean < -180 else 0
    return [(max(-180.0, min(180.0, lon + shift)), lat) for lon, lat in result]


class Command(BaseCommand):
    help = "Convert world-atlas countries TopoJSON into the SVG country paths the map uses."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="countries-110m.json of world-atlas")
        parser.add_argument("--output", type=Path, default=WORLD_MAP)

    def handle(self, *args, source: Path, output: Path, **options):
        topology = json.loads(source.read_text())
        arcs = decode_arcs(topology)
        x_max, _ = natural_earth(180, 0)
        _, y_max = natural_earth(0, 90)
        _, y_min = natural_earth(0, -60)
        scale = WIDTH / (2 * x_max)
        height = round((y_max - y_min) * scale)

        def project(lon: float, lat: float) -> tuple[int, int]:
            x, y = natural_earth(lon, max(lat, -60))
            return round((x + x_max) * scale * 10), round((y_max - y) * scale * 10)

        paths: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for geometry in topology["objects"]["countries"]["geometries"]:
            name = geometry.get("properties", {}).get("name", "")
            code = countries.alpha2(geometry["id"]) if geometry.get("id") else ""
            code = code or BY_NAME.get(name, "")
            if not code or code in LEFT_OUT or geometry["type"] not in {"Polygon", "MultiPolygon"}:
                continue
            polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
            parts = []
            for polygon in polygons:
                for indices in polygon:
                    # Tenths of a pixel, written relative to the previous point: small file.
                    points = [project(lon, lat) for lon, lat in ring(arcs, indices)]
                    deduped = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
                    if len(deduped) < 3:
                        continue
                    x0, y0 = deduped[0]
                    steps = [f"M{x0 / 10:g} {y0 / 10:g}"]
                    for (xa, ya), (xb, yb) in zip(deduped, deduped[1:], strict=False):
                        steps.append(f"l{(xb - xa) / 10:g} {(yb - ya) / 10:g}")
                    parts.append("".join(steps) + "z")
            paths.setdefault(code, []).extend(parts)
            names.setdefault(code, name)
        data = {
            "source": "world-atlas countries-110m (Natural Earth), Natural Earth I projection",
            "width": WIDTH,
            "height": height,
            "countries": {code: "".join(parts) for code, parts in sorted(paths.items())},
            "names": dict(sorted(names.items())),
        }
        output.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        self.stdout.write(f"{len(paths)} countries written to {output}")
