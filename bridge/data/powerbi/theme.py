"""A Power BI report theme (inside a `.pbix`, or a theme `.json` file) as Bridge theme keys.

Power BI Desktop stores the report's base theme under
`Report/StaticResources/SharedResources/BaseThemes/` and a custom theme the author imported under
`Report/StaticResources/RegisteredResources/`; `Report/Layout` names which of them the report uses
(`themeCollection`).  The custom theme's keys win over the base theme's, as in Power BI.  The
format is Microsoft's documented report-theme JSON ("Use report themes in Power BI Desktop").

What maps: `dataColors` → the chart series colours (`data_colors`, and `series` as a colour map of
them) and, with `tableAccent` first, → `accent`; `good`/`bad` are not Bridge colours.  A dark
theme's `background` → `card`, `foreground` → `text`, `foregroundNeutralSecondary` → `muted`,
`backgroundLight` → `stripe` and `backgroundNeutral` → `border`.  A light theme (most are: white
pages) keeps Bridge's dark room, because a white wall in a projector room dazzles and washes out
everything else; only its colours for data come across.  A text class's `fontFace` → `font` when
this machine has that font.  Everything else (`visualStyles`, sizes in points, `good`/`bad`/
`neutral`, diverging colours, hyperlinks) has no Bridge counterpart and is left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bridge.data.powerbi.archive import decode_text, open_archive, read_member, refused
from bridge.errors import BridgeError, shown
from bridge.limits import MAX_PBIX_MEMBER_READ_BYTES

BASE = "Report/StaticResources/SharedResources/BaseThemes/"
CUSTOM = "Report/StaticResources/RegisteredResources/"
DARK = 0.35  # a background darker than this (relative luminance) is a dark theme, drawn as it is
MAPPED = {"dataColors": "data_colors, series, accent", "tableAccent": "accent", "background": "card (dark themes)",
          "foreground": "text (dark themes)", "foregroundNeutralSecondary": "muted (dark themes)",
          "backgroundLight": "stripe (dark themes)", "backgroundNeutral": "border (dark themes)",
          "textClasses.*.fontFace": "font (when installed)"}


def theme_keys(path: Path) -> dict[str, Any]:
    """Bridge theme keys from a `.pbix`'s report theme or a Power BI theme `.json` file."""
    if path.suffix.lower() == ".pbix":
        return mapped(pbix_theme(path), path)
    try:
        data = path.read_bytes()[: MAX_PBIX_MEMBER_READ_BYTES + 1]
    except OSError as exc:
        raise refused(path, f"cannot be read ({shown(exc.strerror or str(exc), 80)})") from None
    return mapped(_json(data, path, path.name), path)


def is_powerbi_theme(data: Any) -> bool:
    """A parsed JSON document that is a Power BI report theme (not a Bridge theme)."""
    return isinstance(data, dict) and any(k in data for k in ("dataColors", "textClasses", "visualStyles", "tableAccent"))


def pbix_theme(path: Path) -> dict:
    """The report's theme: the custom theme's keys over the base theme's, as the report's layout names them."""
    names = open_archive(path, model=False).names
    base = [n for n in names if n.startswith(BASE) and n.lower().endswith(".json")]
    custom = [n for n in names if n.startswith(CUSTOM) and n.lower().endswith(".json")]
    chosen = _named_in_layout(path)
    base = [n for n in base if n.rsplit("/", 1)[-1] == chosen.get("baseTheme")] or base[:1]
    custom = [n for n in custom if n.rsplit("/", 1)[-1] == chosen.get("customTheme")] or (custom[:1] if not chosen else [])
    theme: dict = {}
    for member in base + custom:
        data = read_member(path, member)
        if data is not None:
            theme.update(_json(data, path, member))
    if not theme:
        raise refused(path, "holds no report theme (no theme JSON under Report/StaticResources); "
                            "name a theme .json exported from Power BI (View › Themes › Save current theme) instead")
    return theme


def _named_in_layout(path: Path) -> dict[str, str]:
    """The theme files `Report/Layout` says the report uses: {"baseTheme": file, "customTheme": file}."""
    data = read_member(path, "Report/Layout")
    try:
        config = json.loads(json.loads(decode_text(data or b"{}")).get("config") or "{}")
        collection = config.get("themeCollection") or {}
        out = {}
        for key in ("baseTheme", "customTheme"):
            name = (collection.get(key) or {}).get("name")
            if isinstance(name, str):
                out[key] = name if name.lower().endswith(".json") else name + ".json"
        return out
    except (ValueError, AttributeError, TypeError):
        return {}


def _json(data: bytes, path: Path, member: str) -> dict:
    if len(data) > MAX_PBIX_MEMBER_READ_BYTES:
        raise refused(path, f"theme '{shown(member, 60)}' is over {MAX_PBIX_MEMBER_READ_BYTES // 1024**2} MB; "
                            "a report theme is a few kilobytes")
    try:
        document = json.loads(decode_text(data))
    except ValueError as exc:
        raise refused(path, f"theme '{shown(member, 60)}' is not JSON ({shown(str(exc), 80)}); "
                            "export it again from Power BI (View › Themes › Save current theme)") from None
    if not is_powerbi_theme(document):
        raise refused(path, f"'{shown(member, 60)}' is not a Power BI report theme (no dataColors, textClasses or "
                            "tableAccent); a Bridge theme is a YAML file of keys like accent: '#38bdf8'")
    return document


def _colour(value: Any) -> str | None:
    """#RRGGBB (or #RGB, #RRGGBBAA) text, else None: a theme's colour Bridge can use."""
    if isinstance(value, str) and value.startswith("#") and len(value) in (4, 7, 9):
        try:
            int(value[1:], 16)
        except ValueError:
            return None
        return value[:7] if len(value) == 9 else value
    return None


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2) of #RRGGBB or #RGB."""
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def mapped(theme: dict, path: Path) -> dict[str, Any]:
    """Power BI theme keys → Bridge theme keys (see the module's docstring for which map)."""
    out: dict[str, Any] = {}
    colours = [c for c in (_colour(v) for v in (theme.get("dataColors") or [])[:40]) if c]
    if colours:
        out["data_colors"] = colours
    accent = _colour(theme.get("tableAccent")) or (colours[0] if colours else None)
    if accent:
        out["accent"] = accent
    background = _colour(theme.get("background"))
    if background and luminance(background) < DARK:
        for source, key in (("background", "card"), ("foreground", "text"), ("foregroundNeutralSecondary", "muted"),
                            ("backgroundLight", "stripe"), ("backgroundNeutral", "border")):
            if value := _colour(theme.get(source)):
                out[key] = value
    font = _font(theme)
    if font:
        out["font"] = font
    if not out:
        raise BridgeError(f"{path.name}: its report theme gives no colour Bridge can use (dataColors, tableAccent, "
                          "background); use a Bridge theme YAML file instead")
    return out


def _font(theme: dict) -> str | None:
    """The first text class's font face, when matplotlib finds that family on this machine."""
    classes = theme.get("textClasses")
    if not isinstance(classes, dict):
        return None
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in ("label", "callout", "title", "header"):
        face = (classes.get(name) or {}).get("fontFace") if isinstance(classes.get(name), dict) else None
        if isinstance(face, str):
            family = face.split(",")[0].strip().strip("'\"")
            if family in installed:
                return family
    return None
