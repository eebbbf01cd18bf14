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

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, get_args, get_origin

from pydantic import Field

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


class PanelModel(Strict):
    """Where a panel sits round the viewer, and what every panel may say."""

    id: PanelId
    title: str | None = None
    source: str | None = Field(None, description="Where the data came from; defaults to the scene's source")
    data: str | None = Field(None, description="Dataset name; defaults to the scene's base dataset")
    yaw: Yaw = Field(0, description="Degrees; 0 ahead, positive to the right")
    pitch: Pitch = Field(0, description="Degrees; positive up")
    width: Width = Field(description="Degrees of yaw the panel spans")
    height: Height = Field(description="Degrees of pitch the panel spans")
    if TYPE_CHECKING:  # each type declares `type: Literal["name"]` (unseen at run time: no field here)
        type: str

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

    # --- checks without drawing ---------------------------------------------------------
    def layout_problems(self, theme: Theme, source: str | None) -> list[tuple[tuple, str]]:
        """(key path under the panel, message) for what cannot fit, found before drawing.

        By default: the title and source line (`Canvas.header`) must leave at least one line
        of body text for the content.  Types that draw no header override this.
        """
        canvas = self.layout_canvas(theme)
        bottom, top = canvas.header(self.title, source)
        left = (top - bottom) * canvas.height_deg
        if left < theme.body_deg:
            need = canvas.height_deg - left + theme.body_deg
            return [(("height",), f"the title and source line leave no room for the content: the panel needs about "
                                  f"{need:.1f}° of wall height but has {canvas.height_deg:.1f}°; "
                                  "make it taller or the title shorter")]
        return []

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
