"""The model inside a `.pbix` decoded in child processes, with their memory and time bounded.

pbixray inflates the `DataModel` (XPress9) and decodes VertiPaq columns in Python and C; a
hostile file could ask either for any amount of memory or time, and neither can be bounded from
inside.  So forked children do the decoding under `RLIMIT_AS` (what each already maps plus
MAX_PBIX_DECODE_BYTES) and `RLIMIT_CPU`, and the parent stops them after MAX_PBIX_DECODE_S: one
child, or two sharing the tables by their stored size where there are cores for both.  A
child writes each table as an Arrow IPC file into a private temporary folder (columns are
memory-mapped back, no pickling of data) and sends the schema, relationships and measures as
JSON through a pipe.  Nothing of the file is ever run: pbixray reads bytes, and DAX is text.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bridge.data.powerbi.archive import DIRECT_QUERY_FIX, LIVE_FIX, NO_DATA_FIX, refused
from bridge.errors import shown
from bridge.limits import MAX_PBIX_DECODE_BYTES, MAX_PBIX_DECODE_S

AUTO_DATE_PREFIXES = ("DateTableTemplate_", "LocalDateTable_")  # Power BI's hidden auto date/time tables
MAX_REPLY_BYTES = 64 * 1024**2  # a child's description of the model (schema, relationships, measures' DAX)
DIRECT_QUERY, CALCULATED, HIERARCHY = 1, 2, 3  # TOM's partition Mode (DirectQuery) and Type (Calculated, None)


@dataclass
class Decoded:
    """What the child read: tables by name and the model's metadata as plain JSON values."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def is_auto_date(table: str) -> bool:
    return table.startswith(AUTO_DATE_PREFIXES)


def decode(path: Path, tables: list[str] | None = None) -> Decoded:
    """Decode the model of the (already checked) `.pbix` at `path`: every visible table, or `tables`."""
    shared_memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None  # RAM, not disk
    with tempfile.TemporaryDirectory(prefix="bridge-pbix-", dir=shared_memory) as folder:
        if not hasattr(os, "fork"):  # no fork (Windows): decode here, bounded only by the archive checks
            replies = [_work(str(path), folder, tables, (0, 1))]
        else:
            replies = _in_children(path, folder, tables)
        for reply in replies:
            if reply.get("error"):
                raise refused(path, reply["error"])
        out = Decoded(meta=replies[0]["meta"])
        import pyarrow.feather as feather

        for name in out.meta["tables"]:
            file = Path(folder) / f"{out.meta['tables'].index(name)}.arrow"
            if any(name in reply["loaded"] for reply in replies):
                out.tables[name] = feather.read_table(file, memory_map=True).to_pandas(split_blocks=True)
        return out


def workers() -> int:
    """Children decoding a model's tables side by side: two where there are four cores or more (each child
    opens the model itself, so on fewer cores, shared with the rest of the machine, one child is faster)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return 2 if cores >= 4 else 1


def _in_children(path: Path, folder: str, tables: list[str] | None) -> list[dict]:
    """Run `_work` in forked children under the limits, each decoding its share of the tables; their replies,
    or one error saying which limit stopped them."""
    # What pbixray and the Arrow writer load, imported before forking so the children start with them
    # (loading a library needs memory that the children's limit would count).
    import sqlite3  # noqa: F401

    import pbixray  # noqa: F401
    import pyarrow.feather  # noqa: F401

    context = multiprocessing.get_context("fork")
    count = workers()
    started = []
    for k in range(count):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(str(path), folder, tables, (k, count), send), daemon=True)
        child.start()
        send.close()
        started.append((child, receive))
    replies: list[dict] = []
    deadline = time.monotonic() + MAX_PBIX_DECODE_S
    try:
        for _, receive in started:
            if not receive.poll(max(deadline - time.monotonic(), 0)):
                return [{"error": f"took longer than {MAX_PBIX_DECODE_S:g} s to decode, the limit for a Power BI model; "
                                  "export the tables the briefing needs instead"}]
            try:
                reply = json.loads(receive.recv_bytes(MAX_REPLY_BYTES))  # JSON, never a pickle: the child read a hostile file
            except (EOFError, OSError, ValueError):
                reply = None
            if not isinstance(reply, dict):
                return [{"error": f"its model could not be decoded within {_size(MAX_PBIX_DECODE_BYTES)} of memory and "
                                  f"{MAX_PBIX_DECODE_S:g} s (the decoder stopped); export the tables the briefing needs instead"}]
            replies.append(reply)
    finally:
        for child, receive in started:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()
    return replies


def _child(path: str, folder: str, tables: list[str] | None, part: tuple[int, int], send) -> None:
    """The child: limits first, then the work; whatever happens, one reply through the pipe."""
    try:
        _limit_self()
        reply = _work(path, folder, tables, part)
    except BaseException as exc:  # the child must answer, never hang the parent
        reply = _failure(exc)
    try:
        send.send_bytes(json.dumps(reply, default=str).encode())
    finally:
        os._exit(0)


def _size(count: int) -> str:
    return f"{count / 1024**3:g} GB" if count >= 1024**3 else f"{count / 1024**2:g} MB"


def _failure(exc: BaseException) -> dict:
    """The child's reply for what stopped it: over its memory (a MemoryError, or a library that could not map
    itself), else the decoder's complaint."""
    text = str(exc)
    if isinstance(exc, MemoryError) or (isinstance(exc, (ImportError, OSError)) and ("map" in text or "alloc" in text)):
        return {"error": f"its model needs more than {_size(MAX_PBIX_DECODE_BYTES)} of memory to decode, "
                         "the limit for a Power BI model; export the tables the briefing needs instead"}
    return {"error": f"its model cannot be decoded ({type(exc).__name__}: {shown(text, 100)}); "
                     "save it again from Power BI Desktop"}


def _limit_self() -> None:
    """RLIMIT_AS: what this process maps already plus the decoding budget; RLIMIT_CPU: the time limit."""
    mapped = 0
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    budget = mapped + MAX_PBIX_DECODE_BYTES
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or budget < hard:
        resource.setrlimit(resource.RLIMIT_AS, (budget, hard))
    seconds = int(MAX_PBIX_DECODE_S) + 5  # CPU seconds: a margin over the wall-clock limit the parent keeps
    cpu_soft, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY or seconds < cpu_hard:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, cpu_hard))


def _work(path: str, folder: str, wanted: list[str] | None, part: tuple[int, int]) -> dict:
    """Open the model with pbixray, refuse what holds no imported data, write this child's `part` (k of n) of
    the tables (shared out by their stored size, the same way in every child) and describe the rest."""
    import pbixray

    try:
        model = pbixray.PBIXRay(path)
    except pbixray.LiveConnectionError:
        return {"error": "is connected live to a remote model: it holds no data of its own; " + LIVE_FIX}
    except pbixray.NoEmbeddedModelError:
        return {"error": "holds no data model; " + NO_DATA_FIX}
    meta = _metadata(model)
    if meta["direct_query"]:
        return {"error": f"uses DirectQuery (tables {', '.join(meta['direct_query'][:5])} are read from the database "
                         "when the report is opened): it holds no data of its own; " + DIRECT_QUERY_FIX}
    if meta["tables"] and set(meta["tables"]) <= set(meta["calculated_tables"]):
        return {"error": "holds only calculated tables (DAX over no imported data): it has no source data to show; "
                         "import the tables its calculations need, or export the tables to CSV and name those in the scene"}
    names = _share([t for t in meta["tables"] if wanted is None or t in wanted], model.statistics, part)
    import pyarrow as pa
    import pyarrow.feather as feather

    for name in names:
        frame = model.get_table(name)
        feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False),
                              str(Path(folder) / f"{meta['tables'].index(name)}.arrow"), compression="uncompressed")
    model.close()
    return {"meta": meta, "loaded": names}


def _share(names: list[str], statistics: Any, part: tuple[int, int]) -> list[str]:
    """The tables child k of n decodes: largest first, each to the child with the least so far."""
    k, n = part
    if n == 1:
        return names
    sizes: dict[str, float] = {}
    if statistics is not None and hasattr(statistics, "groupby") and not statistics.empty:
        stored = statistics.groupby("TableName")[["DataSize", "Dictionary", "HashIndex"]].sum().sum(axis=1)
        sizes = {str(t): float(v) for t, v in stored.items()}
    loads, mine = [0.0] * n, []
    for name in sorted(names, key=lambda t: (-sizes.get(t, 0.0), t)):
        child = loads.index(min(loads))
        loads[child] += sizes.get(name, 0.0) + 1.0
        if child == k:
            mine.append(name)
    return mine


def _records(frame: Any, columns: list[str]) -> list[dict]:
    """Some columns of a pbixray metadata frame as JSON-safe records (missing ones as None)."""
    if frame is None or not hasattr(frame, "columns") or frame.empty:
        return []
    out = []
    for row in frame.to_dict("records"):
        out.append({c: _plain(row.get(c)) for c in columns})
    return json.loads(json.dumps(out, default=str))


def _plain(value: Any) -> Any:
    """A metadata cell as a JSON value: numpy scalars as Python ones, missing as None."""
    if isinstance(value, (list, dict, tuple)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return None if value is None or (isinstance(value, float) and value != value) or value is pd.NA else value


def _metadata(model) -> dict:
    """Schema, relationships, measures, calculated columns and tables, partitions' modes, date tables."""
    schema = _records(model.schema, ["TableName", "ColumnName", "PandasDataType"])
    tables = list(dict.fromkeys(r["TableName"] for r in schema if not is_auto_date(str(r["TableName"]))))
    partitions = _records(model.tmschema_partitions, ["TableName", "Mode", "Type"])
    data_parts = [p for p in partitions if p["Type"] != HIERARCHY and p["TableName"] in tables]
    calculated = sorted({p["TableName"] for p in data_parts if p["Type"] == CALCULATED})
    direct = sorted({p["TableName"] for p in data_parts if p["Mode"] == DIRECT_QUERY})
    marked = _records(model.tmschema_tables, ["Name", "DataCategory"])
    return {
        "tables": tables,
        "schema": [r for r in schema if r["TableName"] in tables],
        "relationships": [r for r in _records(model.relationships, [
            "FromTableName", "FromColumnName", "ToTableName", "ToColumnName", "IsActive", "Cardinality",
            "CrossFilteringBehavior"]) if r["FromTableName"] in tables and r["ToTableName"] in tables],
        "measures": _records(model.dax_measures, ["TableName", "Name", "Expression", "Description"]),
        "calculated_columns": [r for r in _records(model.dax_columns, ["TableName", "ColumnName", "Expression"])
                               if r["TableName"] in tables],
        "calculated_tables": calculated,
        "direct_query": direct,
        "date_tables": sorted({r["Name"] for r in marked if r["DataCategory"] == "Time" and r["Name"] in tables}),
    }
