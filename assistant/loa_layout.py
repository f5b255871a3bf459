"""Drawing for the LOA: page content, field widgets and their appearance streams."""

import re

from pypdf.generic import DictionaryObject
from pypdf.generic import TextStringObject

from assistant.loa_fonts import FontSet
from assistant.loa_fonts import number
from assistant.loa_fonts import pdf_object

PAGE_WIDTH = 612
PAGE_HEIGHT = 792
MARGIN = 54
FIELD_PADDING = 2
# The share of the font size that capitals rise above the baseline (Noto Sans),
# used to centre a line of text in a field by eye.
CAP_HEIGHT = 0.714
ASCENT = 0.9
FIELD_BORDER_GRAY = 0.55
LABEL_GRAY = 0.3

# Field flags (PDF 32000-1, 12.7.3.1 and 12.7.4).
READ_ONLY = 1
MULTILINE = 1 << 12
NO_TOGGLE_TO_OFF = 1 << 14
RADIO = 1 << 15
PUSHBUTTON = 1 << 16
COMB = 1 << 24
# Annotation flags: Hidden and NoView widgets are neither shown nor flattened.
PRINT = 4
NOT_SHOWN = 2 | 32

_DA_SIZE = re.compile(r"/[^\s/]+\s+([-\d.]+)\s+Tf")
_DA_COLOR = re.compile(r"((?:[-\d.]+\s+){1,4})(g|rg|k)\b")


class Canvas:
    """Content-stream operators for one page, with positions measured from the top."""

    def __init__(self, fonts: FontSet, height: float = PAGE_HEIGHT) -> None:
        self.fonts = fonts
        self.height = height
        self._ops: list[str] = []

    def text(
        self,
        x: float,
        baseline: float,
        string: str,
        size: float,
        face: str = "regular",
        gray: float = 0.0,
        align: str = "left",
    ) -> None:
        """Draw one line of text; `align` right or centre puts x at that edge."""
        if not string:
            return
        width = self.fonts.width(string, size, face)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        y = self.height - baseline
        self._ops.append(
            f"BT {number(gray)} g {number(x)} {number(y)} Td "
            f"{self.fonts.show(string, size, face)} ET"
        )

    def paragraph(
        self,
        x: float,
        top: float,
        width: float,
        string: str,
        size: float,
        leading: float,
        face: str = "regular",
        gray: float = 0.0,
    ) -> float:
        """Draw text wrapped to a width; return the position below its last line."""
        baseline = top + size * ASCENT
        for line in wrap(self.fonts, string, size, width, face):
            self.text(x, baseline, line, size, face, gray)
            baseline += leading
        return baseline - leading + size * 0.3

    def rule(self, x1: float, top: float, x2: float, gray: float = 0.0) -> None:
        """Draw a thin horizontal line."""
        y = number(self.height - top)
        self._ops.append(
            f"{number(gray)} G 0.5 w {number(x1)} {y} m {number(x2)} {y} l S"
        )

    def box(self, x: float, top: float, width: float, height: float) -> None:
        """Draw the thin outline of a field."""
        y = self.height - top - height
        self._ops.append(
            f"{number(FIELD_BORDER_GRAY)} G 0.5 w "
            f"{number(x)} {number(y)} {number(width)} {number(height)} re S"
        )

    def circle(self, cx: float, cy: float, radius: float) -> None:
        """Draw the outline of a radio button."""
        self._ops.append(
            f"{number(FIELD_BORDER_GRAY)} G 0.5 w "
            + circle_path(cx, self.height - cy, radius)
            + " S"
        )

    def data(self) -> bytes:
        """Return the page's content stream."""
        return "\n".join(self._ops).encode("ascii")


def circle_path(cx: float, cy: float, radius: float) -> str:
    """Return a circle as four Bézier curves."""
    k = radius * 0.5523
    points = [
        (cx + radius, cy),
        (cx + radius, cy + k, cx + k, cy + radius, cx, cy + radius),
        (cx - k, cy + radius, cx - radius, cy + k, cx - radius, cy),
        (cx - radius, cy - k, cx - k, cy - radius, cx, cy - radius),
        (cx + k, cy - radius, cx + radius, cy - k, cx + radius, cy),
    ]
    start = " ".join(number(v) for v in points[0]) + " m"
    curves = [" ".join(number(v) for v in p) + " c" for p in points[1:]]
    return " ".join([start, *curves])


def wrap(fonts: FontSet, string: str, size: float, width: float, face: str) -> list:
    """Split text into lines that fit a width, breaking long words if they must."""
    lines: list[str] = []
    line = ""
    for word in string.split(" "):
        candidate = f"{line} {word}" if line else word
        if fonts.width(candidate, size, face) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if line and fonts.width(line + ch, size, face) > width:
                lines.append(line)
                line = ""
            line += ch
    lines.append(line)
    return lines


def field_style(default_appearance: str) -> tuple[float, str]:
    """Read the font size (0 means fit) and colour operators of a field's /DA."""
    size = _DA_SIZE.search(default_appearance)
    colors = _DA_COLOR.findall(default_appearance)
    color = " ".join(colors[-1][0].split() + [colors[-1][1]]) if colors else "0 g"
    return (float(size.group(1)) if size else 0.0), color


def text_appearance(
    fonts: FontSet,
    value: str,
    width: float,
    height: float,
    *,
    size: float,
    color: str = "0 g",
    align: int = 0,
    comb_cells: int = 0,
    multiline: bool = False,
) -> bytes:
    """Return a text field's appearance: the value shrunk to fit, never cut."""
    inner = width - 2 * FIELD_PADDING
    size = size or min(12.0, max(4.0, (height - 2 * FIELD_PADDING) * 0.7))
    clip = f"{number(1)} {number(1)} {number(width - 2)} {number(height - 2)} re W n"
    if not value:
        return f"/Tx BMC q {clip} Q EMC".encode("ascii")

    lines = [value]
    if multiline:
        while True:
            lines = wrap(fonts, value, size, inner, "regular")
            if len(lines) * size * 1.15 <= height - 2 * FIELD_PADDING or size < 2:
                break
            size *= 0.9
    elif comb_cells:
        widest = max(fonts.width(ch, 1, "regular") for ch in value)
        size = min(size, width / max(comb_cells, len(value)) / max(widest, 0.01))
    else:
        natural = fonts.width(value, size, "regular")
        if natural > inner:
            size *= inner / natural

    ops = [f"/Tx BMC q {clip} BT {color}"]
    if comb_cells:
        cell = width / max(comb_cells, len(value))
        baseline = (height - size * CAP_HEIGHT) / 2
        for index, ch in enumerate(value):
            x = cell * index + (cell - fonts.width(ch, size, "regular")) / 2
            ops.append(
                f"1 0 0 1 {number(x)} {number(baseline)} Tm {fonts.show(ch, size)}"
            )
    else:
        if multiline:
            baseline = height - FIELD_PADDING - size * ASCENT
        else:
            baseline = (height - size * CAP_HEIGHT) / 2
        for line in lines:
            line_width = fonts.width(line, size, "regular")
            x = FIELD_PADDING
            if align == 1:
                x = (width - line_width) / 2
            elif align == 2:
                x = width - FIELD_PADDING - line_width
            ops.append(
                f"1 0 0 1 {number(x)} {number(baseline)} Tm {fonts.show(line, size)}"
            )
            baseline -= size * 1.15
    ops.append("ET Q EMC")
    return " ".join(ops).encode("ascii")


def text_widget(
    name: str,
    rect: tuple[float, float, float, float],
    *,
    tooltip: str,
    size: float = 10,
    flags: int = 0,
    align: int = 0,
) -> DictionaryObject:
    """Return a text field merged with its one widget, without its appearance."""
    return pdf_object(
        {
            "/Type": "/Annot",
            "/Subtype": "/Widget",
            "/FT": "/Tx",
            "/T": TextStringObject(name),
            "/TU": TextStringObject(tooltip),
            "/Rect": [float(v) for v in rect],
            "/F": PRINT,
            "/Ff": flags,
            "/Q": align,
            "/DA": TextStringObject(f"/Helv {number(size)} Tf 0 g"),
        }
    )


def rect_from_top(x: float, top: float, width: float, height: float) -> tuple:
    """Convert a box measured from the page top to a PDF rectangle."""
    bottom = PAGE_HEIGHT - top - height
    return (x, bottom, x + width, bottom + height)
