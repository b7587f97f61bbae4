"""The labelled corpus as a whole: large enough, every step represented, all of it passing."""

from tests.normalise.accuracy import report

STEPS = {"address", "contact_block", "emails_urls", "hours", "meetings", "personal", "phones",
         "topics"}


def test_corpus_covers_every_step_with_at_least_300_cases():
    rows = {step: (good, total) for step, good, total in report()}
    assert set(rows) >= STEPS
    assert sum(total for _, total in rows.values()) >= 300
    assert all(total >= 40 for _, total in rows.values()), rows
    assert all(good == total for good, total in rows.values()), rows
