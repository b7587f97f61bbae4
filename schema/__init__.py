"""The vocabulary of selbsthilfe-atlas: record models, ids, normalisers, the source registry.

`schema` imports nothing else of ours, so every other layer can depend on it.
"""
