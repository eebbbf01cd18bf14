"""Power BI files: a `.pbix` archive read safely, its model (tables, relationships, measures) and its theme."""
