"""Wiring: the Prefect flow, the plain pipeline steps it calls, and the `shg` CLI."""
