"""Maintainer tools that live in the checkout, not in the wheel: the fixture-site server used
by tests and the snapshot builder (`python -m tools.snapshot`), and the source scaffold
(`python -m tools.scaffold`)."""
