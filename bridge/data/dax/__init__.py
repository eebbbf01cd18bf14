"""DAX, the formula language of Power BI measures: parsed and evaluated over a `PowerBIModel` in a filter context."""
