"""What every panel type is: a scene model that also knows its content, drawing and place.

A panel type subclasses `PanelModel`, adds its own keys and a `type: Literal["name"]`, and
overrides the hooks below; `bridge.panels.register` makes the scene format accept it.  The
hooks run in the pipeline's order: `content` (data → what to show, with disclosure control),
`marked_rows` (what a step picks out), `draw` (content → pixels on a Canvas), `place`
(the picture, and any 3D geometry, into the room); and, for the text version of a step,
`describe` (content → words and tables).  Nothing outside the panel's module needs to know
the type exists.
"""

from __future__ import annotations

from collections.abc import Callable
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, Field, model_validator

from bridge.errors import BridgeError
from bridge.geometry import panel_extent
from bridge.scene.fields import Height, PanelId, Pitch, Strict, Width, Yaw

if TYPE_CHECKING:
    from bridge.data.tables import SceneData
    from bridge.panels.common.canvas import Canvas
    from bridge.theme import Theme

Extent = tuple[float, float, float, float]  # yaw min, yaw max, pitch min, pitch max (degrees)


def _holds_expression(annotation, metadata=()) -> bool:
    """Whether a field's type is an expression (`Expr`), optional or as a mapping's values."""
    from bridge.scene.fields import _expression

    if any(getattr(m, "func", None) is _expression for m in metadata):
        return True
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        return any(getattr(m, "func", None) is _expression for m in args[1:])
    return any(_holds_expression(a) for a in args)


TextFill = Callable[[str, tuple], str]  # (text as written, its key path under the panel) -> the text to show


def _plain_text(annotation, metadata=()) -> bool:
    """Whether a field holds text shown as written (str, optional, or a list of it): not an
    expression, a number format, a palette, an id or anything else a validator checks."""
    if metadata or get_origin(annotation) is Annotated:
        return False
    if annotation is str:
        return True
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (list, tuple):
        return bool(args) and _plain_text(args[0])
    texts = [a for a in args if not (isinstance(a, type) and issubclass(a, BaseModel))]  # models are walked into
    return get_origin(annotation) in (Union, UnionType) and bool(texts) and all(_plain_text(a) for a in texts)


def _mapping_types(annotation) -> tuple:
    """(key type, value type) of a dict field, optional or not; () for any other field."""
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is dict:
            return get_args(candidate)
    return ()


def _texts_mapped(model: BaseModel, fill: TextFill, path: tuple, skip: set) -> BaseModel:
    """`model` with every text field (at any depth; a mapping's keys, e.g. a table's headings)
    passed through `fill`; those named in `skip` (datasets, files) left alone."""
    update: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value, here = getattr(model, name), path + (name,)
        if value is None or tuple(k for k in here if isinstance(k, str)) in skip:
            continue
        plain = _plain_text(info.annotation, info.metadata)
        if isinstance(value, BaseModel):
            new: Any = _texts_mapped(value, fill, here, skip)
        elif isinstance(value, str):
            new = fill(value, here) if plain else value
        elif isinstance(value, (list, tuple)):
            new = type(value)(_texts_mapped(v, fill, here + (k,), skip) if isinstance(v, BaseModel)
                              else fill(v, here + (k,)) if plain and isinstance(v, str) else v for k, v in enumerate(value))
        elif isinstance(value, dict) and _mapping_types(info.annotation)[:1] == (str,):
            texts = _plain_text(_mapping_types(info.annotation)[1])
            new = {fill(k, here + (k,)): (_texts_mapped(v, fill, here + (k,), skip) if isinstance(v, BaseModel)
                                          else fill(v, here + (k,)) if texts and isinstance(v, str) else v)
                   for k, v in value.items()}
        else:
            continue
        if new != value:
            update[name] = new
    return model.model_copy(update=update) if update else model


_PLACE_KEYS = frozenset({"yaw", "pitch", "width", "height"})


class PanelModel(Strict):
    """Where a panel sits round the viewer, and what every panel may say."""

    id: PanelId
    title: str | None = None
    source: str | None = Field(None, description="Where the data came from; defaults to the scene's source")
    data: str | None = Field(None, description="Dataset name; defaults to the scene's base dataset")
    yaw: Yaw = Field(0, description="Degrees; 0 ahead, positive to the right. Leave out yaw, pitch, width and height "
                                     "for Bridge to place the panel on the room's walls")
    pitch: Pitch = Field(0, description="Degrees; positive up")
    width: Width = Field(40, description="Degrees of yaw the panel spans")
    height: Height = Field(25, description="Degrees of pitch the panel spans")
    wall: int | None = Field(None, ge=1, le=64, description=(
        "A panel Bridge places: the wall it goes on, by projector number in the room profile (from 1)"))
    span: tuple[int, int] | None = Field(None, description=(
        "A panel Bridge places: the walls it spans, first to last clockwise, e.g. [2, 3]"))
    if TYPE_CHECKING:  # each type declares `type: Literal["name"]` (unseen at run time: no field here)
        type: str

    @model_validator(mode="after")
    def _placed_by_hand_or_by_bridge(self):
        given = _PLACE_KEYS & self.model_fields_set
        if given and not {"width", "height"} <= given:
            raise ValueError("give both width: and height: (with yaw: and pitch:), or leave out all four for Bridge to "
                             "place the panel on the room's walls")
        if given and (self.wall is not None or self.span is not None):
            raise ValueError("wall: and span: are for panels Bridge places: leave out yaw, pitch, width and height, "
                             "or leave out wall:/span:")
        if self.wall is not None and self.span is not None:
            raise ValueError("give wall: (one wall) or span: (several), not both")
        return self

    @property
    def auto_placed(self) -> bool:
        """The scene leaves the panel's place to Bridge (bridge/render/placement.py)."""
        return not (_PLACE_KEYS & self.model_fields_set)

    #: Where a built-in type is listed (lower first) in the JSON Schema, `bridge panels` and the
    #: docs; a plug-in's type is listed after them, in the order it registers.
    listing_order: ClassVar[int] = 1000

    #: Keys (as paths) whose values name a dataset: checked against `datasets:` by validate.
    dataset_keys: ClassVar[tuple[tuple[str, ...], ...]] = (("data",),)

    # --- data → content -------------------------------------------------------------------
    def content(self, data: SceneData, here: tuple) -> Any:
        """What the panel shows, evaluated from the scene's data (`here`: its key path for errors)."""
        return None

    def marked_rows(self, data: SceneData, content: Any, mark, here: tuple, mark_path: tuple) -> frozenset[str]:
        """Rows a step's `mark:` picks out (labels or area keys); most panels cannot mark rows."""
        raise BridgeError(data.doc.problem(mark_path, f"marking rows works on map and bar panels, not {self.type}"))

    #: Keys (as paths) whose values name a file the panel reads besides datasets (an image, a
    #: raster): checked against the briefing's folders by validate, and watched during a show.
    file_keys: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def files(self) -> list[tuple[tuple, str]]:
        """(key path under the panel, path as written) of the files named by `file_keys`."""
        found: list[tuple[tuple, str]] = []
        for keys in self.file_keys:
            value: Any = self
            for key in keys:
                value = getattr(value, key, None)
            if isinstance(value, str):
                found.append((keys, value))
        return found

    def expressions(self) -> list[tuple[tuple, str]]:
        """(key path under the panel, text) of every expression the panel's keys hold, so each
        can be checked on its own and every problem in a panel reported at once."""
        found: list[tuple[tuple, str]] = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None or not _holds_expression(info.annotation, info.metadata):
                continue
            if isinstance(value, dict):
                found += [((name, key), text) for key, text in value.items() if isinstance(text, str)]
            elif isinstance(value, str):
                found.append(((name,), value))
        return found

    def texts(self) -> list[tuple[tuple, str]]:
        """(key path under the panel, text) of every text the panel shows as written — title,
        source, labels, units, legend headings, a table's headings, a text panel's words — each
        of which may hold {expression} fields (bridge/render/briefing.py fills them)."""
        found: list[tuple[tuple, str]] = []

        def seen(text: str, keys: tuple) -> str:
            found.append((keys, text))
            return text

        self.with_texts(seen)
        return found

    def with_texts(self, fill: TextFill) -> PanelModel:
        """This panel with each of its `texts()` replaced by `fill(text, key path)`."""
        skip = {tuple(keys) for keys in (*self.dataset_keys, *self.file_keys)}
        return cast(PanelModel, _texts_mapped(self, fill, (), skip))

    # --- checks without drawing ---------------------------------------------------------
    def layout_problems(self, theme: Theme, source: str | None) -> list[tuple[tuple, str]]:
        """(key path under the panel, message) for what cannot fit, found before drawing.

        By default: the title and source line (`Canvas.header`) must leave at least one line
        of body text for the content.  Types that draw no header override this.
        """
        lack = self.height_lacking(theme, source)
        if lack > 0:
            have = self.layout_canvas(theme).height_deg
            return [(("height",), f"the title and source line leave no room for the content: the panel needs about "
                                  f"{have + lack:.1f}° of wall height but has {have:.1f}°; "
                                  "make it taller or the title shorter")]
        return []

    def height_lacking(self, theme: Theme, source: str | None) -> float:
        """Degrees of wall height the title and source line leave the content short of one line of body text (0: it fits)."""
        canvas = self.layout_canvas(theme)
        bottom, top = canvas.header(self.title, source)
        return max(0.0, theme.body_deg - (top - bottom) * canvas.height_deg)

    def layout_canvas(self, theme: Theme) -> Canvas:
        """A canvas the size of the panel's picture, to lay text out on without drawing it."""
        from bridge.geometry import panel_texture_size
        from bridge.panels.common.canvas import Canvas

        y0, y1, p0, p1 = self.texture_extent()
        ppd = 20.0  # any density gives the same answer in degrees; this one is cheap
        return Canvas(panel_texture_size(y1 - y0, p0, p1, ppd), ppd, theme)

    def seam_parts(self, theme: Theme) -> list[tuple[str, float, float]]:
        """(what, yaw from, yaw to) of the parts that must not straddle a blend zone: the title."""
        if not self.title:
            return []
        left = self.yaw - self.width / 2
        width = min(self.width - 2.4, theme.text_width_deg(self.title, theme.title_deg, bold=True))
        return [("its title", left + 1.2, left + 1.2 + width)]

    # --- drawing and placing --------------------------------------------------------------
    def draw(self, canvas: Canvas, content: Any, source: str | None, marked: frozenset[str]) -> None:
        """Draw the panel's picture on `canvas` (`marked`: rows the step picks out)."""
        raise NotImplementedError(f"panel type {type(self).__name__} has no draw()")

    def texture_extent(self) -> Extent:
        """The box of angles the panel's picture covers (by default, the whole panel)."""
        return panel_extent(self.yaw, self.pitch, self.width, self.height)

    def place(self, renderer, image, content: Any) -> None:
        """Put the picture (and any 3D geometry) into the room: a curved strip by default."""
        renderer.add_panel(self.id, self.yaw, self.pitch, self.width, self.height, image)

    # --- the text version -----------------------------------------------------------------
    def describe(self, entry: dict, view, step_index: int, content: Any) -> None:
        """Say what the panel shows, for people who cannot see the room (bridge/export/accessible.py).

        `view` is the briefing as the step shows it (its `scene`, `data` and `marks`), and
        `content` is what `content` returned.  Add to `entry`: sentences to `entry["text"]`,
        tables (`bridge.panels.common.describe.table`) to `entry["tables"]`, and any keys the
        type adds (a KPI's `value`, a map's `legend`).  Say what the picture says and no more:
        numbers written as `draw` writes them, and what `draw` suppresses suppressed here too.
        By default the panel is only named, as having no text version.
        """
        entry["text"].append(f"A {self.type} panel; its content has no text version.")
