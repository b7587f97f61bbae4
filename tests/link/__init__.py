"""Linkage: hand-labelled pairs and the warehouse step."""
