"""The vocabulary of selbsthilfe-atlas: record models, ids, normalisers, the source registry.

`schema` imports nothing else of ours, so every other layer can depend on it.
"""

from schema.ids import listing_id
from schema.listing import (
    Address,
    EmailAddress,
    Kind,
    Listing,
    Meeting,
    OpeningHours,
    Phone,
    Provenance,
    Topic,
    Website,
)
from schema.records import ScrapedRecord

__all__ = [
    "Address",
    "EmailAddress",
    "Kind",
    "Listing",
    "Meeting",
    "OpeningHours",
    "Phone",
    "Provenance",
    "ScrapedRecord",
    "Topic",
    "Website",
    "listing_id",
]
