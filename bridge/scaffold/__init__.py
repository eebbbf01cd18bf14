"""`bridge new`: a commented starting briefing written from an analyst's data files."""
