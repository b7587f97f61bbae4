"""Deterministic identifiers.

A listing's id is a UUIDv5 of its source id and the source's own key, never of a name or an
e-mail address: groups are renamed and change hands, and the id must survive that.
"""

import uuid

#: Fixed namespace of the project; changing it would change every published id.
NAMESPACE = uuid.UUID("5b0f3c2e-8a4d-5d7e-9c61-2f3a4b5c6d7e")


def listing_id(source_id: str, source_key: str) -> uuid.UUID:
    """The stable id of the listing that `source_id` publishes under `source_key`."""
    if not source_id or not source_key:
        raise ValueError("listing_id needs a source id and a source key")
    return uuid.uuid5(NAMESPACE, f"{source_id}\x1f{source_key}")
