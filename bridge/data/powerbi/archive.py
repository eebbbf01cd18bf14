"""A `.pbix` opened as untrusted input: the zip bounded and the kind of report it is told apart.

A `.pbix` is a zip that Power BI Desktop writes and people email around like a scene, so it is
checked before anything decodes it: the number of members, what they inflate to in all and how
many times each deflated member inflates (a zip bomb's thousands-fold), each against
bridge/limits.py.  A report connected live to the Power BI service or to Analysis Services has
a `Connections` member naming the remote model and no `DataModel`: it holds no data, and the
message says what to do instead.  Members Bridge reads itself (a theme, `Connections`) are read
capped.  Nothing here decodes the model: bridge/data/powerbi/decode.py does, in a child process.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import BridgeError, shown
from bridge.limits import (
    MAX_DATA_FILE_BYTES,
    MAX_PBIX_INFLATED_BYTES,
    MAX_PBIX_MEMBER_READ_BYTES,
    MAX_PBIX_MEMBERS,
    MAX_PBIX_RATIO,
)

RATIO_FLOOR_BYTES = 1024**2  # members that inflate to less than this are too small to be a bomb
EXPORT_FIX = "or export the tables it shows to CSV and name those in the scene"
NO_DATA_FIX = "publish an import-mode copy of its model from Power BI Desktop, " + EXPORT_FIX
LIVE_FIX = "ask for the model's own .pbix (an import-mode copy of the dataset it connects to), " + EXPORT_FIX
DIRECT_QUERY_FIX = ("in Power BI Desktop set its tables' storage mode to Import (Model view › Properties) and save "
                    "a copy, " + EXPORT_FIX)


@dataclass(frozen=True)
class Archive:
    """What the zip holds, checked: its members' names and whether it carries a model."""

    path: Path
    names: tuple[str, ...]

    @property
    def has_model(self) -> bool:
        return "DataModel" in self.names


def refused(path: Path, message: str) -> BridgeError:
    """One clear line that names the file: what is wrong with it and how to fix it."""
    return BridgeError(f"{path.name}: {message}")


def open_archive(path: Path, model: bool = True) -> Archive:
    """Check the `.pbix` at `path` against the limits and, when its `model` is wanted, refuse a report that
    holds none (a live connection); never inflates a member."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise refused(path, f"cannot be read ({shown(exc.strerror or str(exc), 80)})") from None
    if size > MAX_DATA_FILE_BYTES:
        raise refused(path, f"is {size / 1024**2:,.0f} MB, over the {MAX_DATA_FILE_BYTES / 1024**2:,.0f} MB a data file may be; "
                            "export the tables the briefing needs instead")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(path, infos)
            names = tuple(info.filename for info in infos)
            if model and "Connections" in names and "DataModel" not in names:
                _refuse_live(path, archive)
    except zipfile.BadZipFile as exc:
        raise refused(path, f"is not a Power BI file Bridge can read (damaged zip: {shown(str(exc), 80)}); "
                            "save it again from Power BI Desktop") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise refused(path, f"is not a Power BI file Bridge can read ({shown(str(exc), 80)}); "
                            "save it again from Power BI Desktop") from None
    if model and "DataModel" not in names:
        raise refused(path, "holds no data model (no DataModel inside: not a Power BI Desktop report, or one without data); "
                            + NO_DATA_FIX)
    return Archive(path, names)


def _check_members(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Members, total inflated size and each member's inflation ratio against the limits (from the central directory)."""
    if len(infos) > MAX_PBIX_MEMBERS:
        raise refused(path, f"holds {len(infos):,} files, more than the {MAX_PBIX_MEMBERS:,} a Power BI file may hold; "
                            "it is not a report Power BI Desktop wrote")
    total = sum(info.file_size for info in infos)
    if total > MAX_PBIX_INFLATED_BYTES:
        raise refused(path, f"would inflate to {total / 1024**2:,.0f} MB, over the {MAX_PBIX_INFLATED_BYTES / 1024**2:,.0f} MB "
                            "a Power BI file may; export the tables the briefing needs instead")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_PBIX_RATIO:
            raise refused(path, f"member '{shown(info.filename, 60)}' would inflate {ratio:,.0f} times "
                                f"(more than {MAX_PBIX_RATIO} is a zip bomb, not a report); Bridge does not open it")


def read_member(path: Path, name: str) -> bytes | None:
    """One small member (a theme, `Connections`), read capped; None when it is absent or over the cap."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(name)
            except KeyError:
                return None
            if info.file_size > MAX_PBIX_MEMBER_READ_BYTES:
                return None
            with archive.open(info) as member:
                data = member.read(MAX_PBIX_MEMBER_READ_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise refused(path, f"is not a Power BI file Bridge can read ({shown(str(exc), 80)}); "
                            "save it again from Power BI Desktop") from None
    return data if len(data) <= MAX_PBIX_MEMBER_READ_BYTES else None


def decode_text(data: bytes) -> str:
    """Text as Power BI writes it: UTF-16 with a byte-order mark, or UTF-8 (with or without one)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _refuse_live(path: Path, archive: zipfile.ZipFile) -> None:
    """A thin report bound to a model elsewhere: say which kind and what to do."""
    info = archive.getinfo("Connections")
    kind = "a remote model"
    if info.file_size <= MAX_PBIX_MEMBER_READ_BYTES:
        try:
            document = json.loads(decode_text(archive.read(info)))
            first = (document.get("Connections") or [{}])[0] if isinstance(document, dict) else {}
            kind = {"pbiServiceLive": "a dataset in the Power BI service",
                    "analysisServicesDatabaseLive": "an Analysis Services model"}.get(
                        str(first.get("ConnectionType")), kind) if isinstance(first, dict) else kind
        except (ValueError, TypeError, AttributeError, IndexError):
            pass
    raise refused(path, f"is connected live to {kind}: it holds no data of its own; " + LIVE_FIX)
