"""Fetch and parse: one small module per source on shared bases. Imports `schema` only."""
