"""A Power BI model as Bridge holds it: plain pandas tables, the relationships between them and the DAX measures.

This is the one shape the `.pbix` reader produces and the DAX evaluator consumes, so either can be
tested without the other (a test can build a `PowerBIModel` by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Relationship:
    """`from_table[from_column]` (the many side) refers to `to_table[to_column]` (the one side).

    Filters flow from the one side to the many side; both ways when `both_directions`
    (Power BI's cross-filter direction "Both").  Inactive relationships are kept but not used
    unless a measure activates one (USERELATIONSHIP)."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str
    active: bool = True
    both_directions: bool = False
    cardinality: str = "many-to-one"  # "many-to-one", "one-to-one", "many-to-many", as the model says


@dataclass(frozen=True)
class MeasureDef:
    """A DAX measure as the model defines it: its home table, name and expression text."""

    table: str
    name: str
    expression: str
    format_string: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CalculatedColumn:
    """A calculated column's DAX (its values are usually stored in the model already)."""

    table: str
    name: str
    expression: str


@dataclass
class PowerBIModel:
    """Tables by name (columns as in the model), relationships and measures; hidden auto-date tables left out."""

    source: str  # the file's name, for messages
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    relationships: list[Relationship] = field(default_factory=list)
    measures: dict[str, MeasureDef] = field(default_factory=dict)  # by measure name (unique in a model)
    calculated_columns: list[CalculatedColumn] = field(default_factory=list)
    date_tables: set[str] = field(default_factory=set)  # tables marked (or recognised) as date tables
