"""Draw the integration's brand images: custom_components/lowi_ores/brand/*.png.

Home Assistant (2026.3 and later) serves a custom integration's own images from a ``brand``
folder inside it; the names and sizes are those of the home-assistant/brands repository:

- ``icon.png`` 256 x 256 and ``icon@2x.png`` 512 x 512, square;
- ``logo.png`` with its shortest side 128 to 256 pixels, ``logo@2x.png`` 256 to 512, trimmed;
- ``dark_`` variants of each, for the dark theme;

all on a transparent background. The mark is a P1 meter dongle seen from the front: a rounded
box with a display showing a lightning bolt, and the P1 (RJ12) socket with its pins below. It
has few, large shapes so that it stays readable at 32 pixels. The logo is the mark followed by
"LoWi3 P1".

Run in the test environment (Pillow comes with Home Assistant), from the repository's root:
    bash -c '. scripts/_env.sh; run_in_env "python scripts/brand.py"'
(in the Debian root, the images are then copied back: see --out), or with any Python that has
Pillow: ``python scripts/brand.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "custom_components" / "lowi_ores" / "brand"
GRID = 1024  # the mark is drawn on a 1024 x 1024 grid, then scaled down with anti-aliasing
WORDMARK = "LoWi3 P1"


@dataclass(frozen=True, slots=True)
class Palette:
    """Colours of one theme."""

    body: str
    display: str
    bolt: str
    bolt_edge: str
    socket: str
    pins: str
    text: str


LIGHT = Palette(
    body="#0D47A1",
    display="#E3F2FD",
    bolt="#FFB300",
    bolt_edge="#E65100",
    socket="#0A2A5C",
    pins="#FFD54F",
    text="#1B1B1F",
)
DARK = Palette(
    body="#42A5F5",
    display="#0B1F3A",
    bolt="#FFCA28",
    bolt_edge="#FFE082",
    socket="#0B1F3A",
    pins="#FFD54F",
    text="#F2F2F7",
)


def mark(size: int, palette: Palette) -> Image.Image:
    """Return the square mark, `size` pixels wide, edge to edge on a transparent background."""
    scale = 4 * size / GRID  # drawn 4 times larger, then reduced: smooth edges
    big = round(GRID * scale)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 * scale, y0 * scale, x1 * scale, y1 * scale)

    # The dongle's body, touching the edges (brand images are trimmed).
    draw.rounded_rectangle(box(0, 0, GRID - 1, GRID - 1), radius=180 * scale, fill=palette.body)
    # The display, with a lightning bolt.
    draw.rounded_rectangle(box(120, 110, 904, 600), radius=90 * scale, fill=palette.display)
    bolt = [(575, 140), (330, 385), (480, 385), (420, 570), (690, 300), (530, 300), (600, 140)]
    centre_x, centre_y, grow = 510, 355, 1.1  # as large as the display allows
    draw.polygon(
        [
            ((centre_x + (x - centre_x) * grow) * scale, (centre_y + (y - centre_y) * grow) * scale)
            for x, y in bolt
        ],
        fill=palette.bolt,
        outline=palette.bolt_edge,
        width=max(1, round(14 * scale)),
    )
    # The P1 port: an RJ12 socket with its latch notch and six pins.
    draw.rounded_rectangle(box(300, 680, 724, 900), radius=36 * scale, fill=palette.socket)
    draw.rectangle(box(452, 860, 572, 900), fill=palette.body)
    for pin in range(6):
        x = 348 + pin * 58
        draw.rectangle(box(x, 700, x + 28, 790), fill=palette.pins)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, palette: Palette) -> Image.Image:
    """Return the mark followed by the word mark, `height` pixels high, trimmed.

    Drawn once at 1024 pixels and scaled, so that logo@2x is logo at twice the size.
    """
    drawn = _logo(GRID, palette)
    width = round(drawn.width * height / drawn.height)
    return drawn.resize((width, height), Image.Resampling.LANCZOS)


def _logo(height: int, palette: Palette) -> Image.Image:
    font = ImageFont.load_default(size=round(height * 0.62))
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    stroke = max(1, round(height * 0.018))  # Pillow's built-in font is regular: thicken it
    left, top, right, bottom = probe.textbbox((0, 0), WORDMARK, font=font, stroke_width=stroke)
    gap = round(height * 0.18)
    width = height + gap + (right - left)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.alpha_composite(mark(height, palette))
    draw = ImageDraw.Draw(image)
    text_y = (height - (bottom - top)) / 2 - top
    draw.text(
        (height + gap - left, text_y),
        WORDMARK,
        font=font,
        fill=palette.text,
        stroke_width=stroke,
        stroke_fill=palette.text,
    )
    bbox = image.getbbox()
    return image.crop(bbox) if bbox else image


def render(out: Path) -> list[Path]:
    """Write the eight images into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        images = {
            "icon.png": mark(256, palette),
            "icon@2x.png": mark(512, palette),
            "logo.png": logo(256, palette),
            "logo@2x.png": logo(512, palette),
        }
        for name, image in images.items():
            path = out / f"{prefix}{name}"
            image.save(path, optimize=True)
            written.append(path)
    return written


def main() -> None:
    """Draw the images into the integration's brand folder (or --out)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (%(default)s)")
    args = parser.parse_args()
    for path in render(args.out):
        with Image.open(path) as image:
            print(f"{path}: {image.width} x {image.height}")


if __name__ == "__main__":
    main()
