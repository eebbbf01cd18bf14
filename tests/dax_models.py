"""Power BI models for the DAX tests, built from the sample `.pbix` files with pbixray (tables, relationships, measures).

Kept apart from Bridge's own `.pbix` reader so the evaluator's tests stand on their own: the
model shape (`PowerBIModel`) is the contract between the two.  Hidden auto-date tables
(DateTableTemplate_…, LocalDateTable_…) are left out, as Power BI's field list does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from bridge.data.powerbi.model import MeasureDef, PowerBIModel, Relationship

PBIX = Path(__file__).parent / "data" / "pbix"
ADVENTURE_WORKS = "Adventure Works, Internet Sales.pbix"
SUPPLIER_QUALITY = "old-Supplier-Quality-Analysis-Sample-PBIX.pbix"
RLS_SAMPLE = "rls-sample-report.pbix"
IMPORTED = [ADVENTURE_WORKS, SUPPLIER_QUALITY, RLS_SAMPLE, "abc.pbix", "old-schema17-DataTable.pbix",
            "empty-schema-calc-only.pbix"]


def _hidden(name: str) -> bool:
    return name.startswith(("DateTableTemplate_", "LocalDateTable_"))


@cache
def load(name: str) -> PowerBIModel:
    """The model of tests/data/pbix/NAME (cached: each file is decoded once per test run)."""
    from pbixray import PBIXRay

    pbix = PBIXRay(str(PBIX / name))
    tables: dict[str, pd.DataFrame] = {}
    for table in pbix.tables:
        if _hidden(str(table)):
            continue
        try:
            tables[str(table)] = pbix.get_table(str(table))
        except Exception:  # a calculated table pbixray cannot decode: no rows to test against
            continue
    relationships = []
    rels = pbix.relationships
    for _, r in (rels.iterrows() if len(rels) else []):
        if _hidden(r.FromTableName) or _hidden(r.ToTableName):
            continue
        relationships.append(Relationship(
            r.FromTableName, r.FromColumnName, r.ToTableName, r.ToColumnName, active=bool(r.IsActive),
            both_directions=str(r.CrossFilteringBehavior).lower().startswith("both")))
    measures = {}
    dm = pbix.dax_measures
    for _, m in (dm.iterrows() if len(dm) else []):
        measures[m.Name] = MeasureDef(m.TableName, m.Name, m.Expression)
    return PowerBIModel(name, tables, relationships, measures)
