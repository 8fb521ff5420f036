"""Datasette plugins that publish casekb: search page and API, similar cases, SQL functions."""
