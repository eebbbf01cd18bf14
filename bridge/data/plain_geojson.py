"""GeoJSON's fast reading: a plain file's coordinates parsed in numpy, never as Python objects.

bridge/data/formats.py's `read_geojson` tries this first and falls back to its full reader (json,
feature by feature) for any file this does not take, so that reader alone words every refusal.
"""

from __future__ import annotations

import json
import re

import numpy as np

from bridge.data.coordinates import consecutive

# The fast reading of a plain file (every geometry a Polygon or MultiPolygon of 2D points): each
# geometry's "coordinates" array is cut out of the text and read in numpy, so its numbers never become
# Python objects, and json reads what is left (properties, types) with a number standing in for each
# array: England's 35,672 LSOAs 0.7 s → 0.25 s.  It checks what json would (each array is JSON of
# numbers, strictly: no leading zeros, no bare '.5', no empty arrays) and more (every point two
# numbers, every ring 4 points or more); a file that is anything else is read by the full reader,
# which says what is wrong with it: the fast one never refuses a file, and what it gives is the same.
_COORDINATES = re.compile(r'("coordinates"[ \t\n\r]*:[ \t\n\r]*)(\[[-+.0-9eE\[\], \t\n\r]*\])')
# the characters of a coordinates array by class, and which class may follow which (white space aside)
_BLANK, _OPEN, _CLOSE, _COMMA, _DIGIT, _DOT, _EXP, _PLUS, _MINUS = range(9)
_CLASS = np.full(256, _BLANK, np.uint8)
for _chars, _kind in (("[", _OPEN), ("]", _CLOSE), (",", _COMMA), ("0123456789", _DIGIT), (".", _DOT), ("eE", _EXP),
                      ("+", _PLUS), ("-", _MINUS)):
    _CLASS[[ord(ch) for ch in _chars]] = _kind
_FOLLOWS = np.zeros(9 * 9, bool)
for _a, _bs in ((_OPEN, (_OPEN, _DIGIT, _MINUS)), (_CLOSE, (_COMMA, _CLOSE)), (_COMMA, (_OPEN, _DIGIT, _MINUS)),
                (_DIGIT, (_DIGIT, _DOT, _EXP, _COMMA, _CLOSE)), (_DOT, (_DIGIT,)), (_EXP, (_DIGIT, _PLUS, _MINUS)),
                (_PLUS, (_DIGIT,)), (_MINUS, (_DIGIT,))):
    _FOLLOWS[[_a * 9 + b for b in _bs]] = True


def plain_geojson(text: str) -> tuple[dict, list] | None:
    """(the collection, its features' rings) for a plain file, or None: read it with the full reader."""
    pieces = _COORDINATES.split(text)  # text, key, array, text, key, array, …, text
    arrays = pieces[2::3]
    if not arrays:
        return None
    pieces[2::3] = [f"{k} " for k in range(len(arrays))]  # the space: a number after the array cannot join it
    try:
        collection = json.loads("".join(pieces))
    except (json.JSONDecodeError, RecursionError):
        return None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or len(features) != len(arrays):
        return None
    depth = np.empty(len(features), np.int64)  # where each feature's numbers sit: 3 for a Polygon, 4 for a MultiPolygon
    for i, feature in enumerate(features):
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geom, dict):
            return None
        coords, kind = geom.get("coordinates"), geom.get("type")
        if type(coords) is not int or coords != i or kind not in ("Polygon", "MultiPolygon"):
            return None
        depth[i] = 3 if kind == "Polygon" else 4
    read = _numeric_arrays(arrays, depth)
    if read is None:
        return None
    xy, ring_sizes, rings_per_polygon, polygons_per_feature = read
    polygons = consecutive(consecutive(xy, ring_sizes), rings_per_polygon)
    return collection, consecutive(polygons, polygons_per_feature)


def _numeric_arrays(arrays: list[str], depth: np.ndarray):
    """The arrays (feature i's numbers nested depth[i] deep) as (points, points per ring, rings per
    polygon, polygons per feature), or None where any is not a strict JSON array of 2D points.
    Whole-text passes are kept few and on bytes (the text is most of the file)."""
    raw = np.frombuffer("".join(arrays).encode("ascii"), np.uint8)
    kind = _CLASS.take(raw)
    blank = kind == _BLANK
    if blank.any():
        # white space may not split a number: look past it only after a number's last character
        after_number = np.flatnonzero((kind[:-1] >= _DIGIT) & blank[1:])
        if len(after_number):
            solid = np.flatnonzero(~blank)
            following = solid[np.searchsorted(solid, after_number + 1)]  # each array ends in ']', so there is one
            if (kind[following] >= _DIGIT).any():
                return None
        lengths = np.fromiter((len(a) for a in arrays), np.int64, len(arrays))
        lengths -= np.add.reduceat(blank, np.cumsum(lengths) - lengths, dtype=np.int64)
        keep = ~blank
        c, k = raw[keep], kind[keep]  # the text without white space, and its classes
    else:
        lengths = np.fromiter((len(a) for a in arrays), np.int64, len(arrays))
        c, k = raw, kind
    first = np.cumsum(lengths) - lengths  # where each array begins (its '['), in c
    # each character may only follow what JSON lets it follow, except where one array ends and the next begins
    bad = np.flatnonzero(~_FOLLOWS.take(k[:-1] * np.uint8(9) + k[1:])) + 1
    if len(bad) and not np.isin(bad, first).all():
        return None
    # numbers as JSON writes them, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: the order of the
    # characters' classes is checked above; here what comes between a number's start and its '.' or exponent
    marks = np.flatnonzero(k != _DIGIT)  # every character but digits
    mk = k[marks]
    before = np.r_[_BLANK, mk[:-1]]  # the mark before each mark
    leading_minus = (mk == _MINUS) & ((before == _OPEN) | (before == _COMMA))
    lone = (before == _OPEN) | (before == _COMMA) | np.r_[False, leading_minus[:-1]]  # no mark since the number began
    if ((mk == _DOT) & ~lone).any() or ((mk == _EXP) & ~(lone | (before == _DOT))).any():
        return None
    if ((mk == _EXP) & (before == _DOT) & ~np.r_[False, lone[:-1]]).any():  # that '.' must have been the first mark
        return None
    zeros = np.flatnonzero(c == 48)
    zeros = zeros[(zeros > 1) & (zeros < len(k) - 1)]  # never first or last: an array begins '[' and ends ']'
    zeros = zeros[k[zeros + 1] == _DIGIT]  # '0' then a digit: a leading zero unless a digit comes before it
    ahead, behind = k[zeros - 1], k[zeros - 2]
    if ((ahead == _OPEN) | (ahead == _COMMA) | ((ahead == _MINUS) & ((behind == _OPEN) | (behind == _COMMA)))).any():
        return None
    # nesting, on the brackets and commas: each array closes at its own end and not before, and
    # numbers sit at the feature's depth
    is_structure = (mk == _OPEN) | (mk == _CLOSE) | (mk == _COMMA)
    structure = marks[is_structure]
    sk = mk[is_structure]
    level = np.cumsum((sk == _OPEN).astype(np.int64) - (sk == _CLOSE))
    starts = np.searchsorted(structure, first)  # each array's '[' in `structure`
    owner = np.zeros(len(sk), np.int64)
    owner[starts[1:]] = 1
    want = depth[np.cumsum(owner)]
    ends = np.r_[first[1:], len(k)] - 1  # each array's last character
    if not np.array_equal(structure[level == 0], ends) or (level > want).any():
        return None
    then_number = (k[np.minimum(structure + 1, len(k) - 1)] >= _DIGIT) & (sk != _CLOSE)
    if not np.array_equal(then_number, (level == want) & (sk != _CLOSE)):
        return None
    opens = sk == _OPEN
    point = np.flatnonzero(opens & (level == want))  # positions in `structure`
    if not len(point) or point[-1] + 2 >= len(sk) or (sk[point + 1] != _COMMA).any() or (sk[point + 2] != _CLOSE).any():
        return None  # a point is '[', a number, ',', a number, ']'
    ring = np.flatnonzero(opens & (level == want - 1))
    polygon = np.flatnonzero(opens & (level == want - 2))
    ring_sizes = np.diff(np.searchsorted(point, np.r_[ring, len(sk)]))
    if (ring_sizes < 4).any():
        return None
    rings_per_polygon = np.diff(np.searchsorted(ring, np.r_[polygon, len(sk)]))
    polygons_per_feature = np.diff(np.searchsorted(polygon, np.r_[starts, len(sk)]))
    spaced = c.copy()
    spaced[marks[is_structure]] = 32  # numbers apart, for numpy's own parser
    values = np.fromstring(spaced.tobytes().decode("ascii"), dtype=float, sep=" ")  # text mode, not the deprecated binary
    if len(values) != 2 * len(point):
        return None
    return values.reshape(-1, 2), ring_sizes, rings_per_polygon, polygons_per_feature
