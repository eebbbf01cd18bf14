"""A `.pbix` file read into a `PowerBIModel`: its tables, relationships, measures and date tables.

The archive is checked first (bridge/data/powerbi/archive.py), the model decoded in a bounded
child (bridge/data/powerbi/decode.py), and the result kept per file identity (path, modification
time, size) in this process, so a scene that names one report for several datasets, or a show
answering questions live, decodes it once.  Power BI's hidden auto date/time tables
(`DateTableTemplate_…`, `LocalDateTable_…`) are left out, with the relationships that reach them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bridge.data.formats import SettingError, listing
from bridge.data.powerbi.archive import open_archive, refused
from bridge.data.powerbi.decode import decode
from bridge.data.powerbi.model import CalculatedColumn, MeasureDef, PowerBIModel, Relationship
from bridge.errors import did_you_mean

KEPT_MODELS = 4  # decoded models a process keeps (a scene rarely names more than one or two reports)
_CARDINALITY = {"M:1": "many-to-one", "1:M": "many-to-one", "1:1": "one-to-one", "M:M": "many-to-many"}
_kept: dict[tuple[str, int, int], PowerBIModel] = {}


def load_model(path: Path) -> PowerBIModel:
    """The model of the `.pbix` at `path`, decoded once per file version in this process."""
    try:
        stat = path.stat()
    except OSError:
        raise refused(path, "file not found (paths are relative to the scene file)") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _kept:
        open_archive(path)
        decoded = decode(path)
        while len(_kept) >= KEPT_MODELS:
            _kept.pop(next(iter(_kept)))
        _kept[key] = build_model(path.name, decoded.tables, decoded.meta)
    return _kept[key]


def forget_models() -> None:
    """Drop every kept model (tests, and a process that is done with its reports)."""
    _kept.clear()


def build_model(source: str, tables: dict[str, pd.DataFrame], meta: dict) -> PowerBIModel:
    """A PowerBIModel from decoded tables and the metadata the decoder describes (bridge/data/powerbi/decode.py)."""
    relationships = [
        Relationship(r["FromTableName"], r["FromColumnName"], r["ToTableName"], r["ToColumnName"],
                     active=bool(r["IsActive"]), both_directions=str(r["CrossFilteringBehavior"]) == "Both",
                     cardinality=_CARDINALITY.get(str(r["Cardinality"]), str(r["Cardinality"])))
        for r in meta.get("relationships", [])]
    measures = {str(m["Name"]): MeasureDef(str(m["TableName"]), str(m["Name"]), str(m["Expression"] or "").strip(),
                                           description=str(m.get("Description") or ""))
                for m in meta.get("measures", [])}
    columns = [CalculatedColumn(str(c["TableName"]), str(c["ColumnName"]), str(c["Expression"] or "").strip())
               for c in meta.get("calculated_columns", [])]
    dates = set(meta.get("date_tables", [])) | {name for name, frame in tables.items() if _looks_like_dates(name, frame)}
    return PowerBIModel(source, dict(tables), relationships, measures, columns, dates)


def _looks_like_dates(name: str, frame: pd.DataFrame) -> bool:
    """A table not marked as a date table but built as one: named for dates, one row per day of a date column."""
    if not any(word in name.lower() for word in ("date", "calendar")):
        return False
    return any(pd.api.types.is_datetime64_any_dtype(frame[c]) and frame[c].is_unique and frame[c].notna().all()
               for c in frame.columns)


def model_table(model: PowerBIModel, table: str | None) -> pd.DataFrame:
    """One table of the model as a dataset reads it (a copy: where: and pivot: must not change the model's)."""
    if table is None:
        raise SettingError("path", f"{model.source} is a Power BI model of several tables; "
                                   f"give table: one of {listing(model.tables, 12, 40)}")
    if table not in model.tables:
        raise SettingError("table", f"{model.source} has no table '{table}'{did_you_mean(table, model.tables)}; "
                                    f"its tables: {listing(model.tables, 12, 40)}")
    return model.tables[table].copy()
