"""`withheld.json`: what the licence and privacy gates kept out of a release, and why.

Per source: records withheld by policy; per field, the private values left out (whole values
and findings removed from free texts); and one trace per listing and reason for each invalid
value dropped, naming the listing, the field and the flag code, never the value.
"""

import duckdb

from schema.normalise.flags import FLAG_CODES

#: Why a kind of finding was removed from a text (`schema.normalise.personal`).
FINDING_REASONS = {
    "salutation": "a person named with a salutation or title (Frau, Herr, Dr. …)",
    "mobile": "a mobile phone number",
    "mailbox": "a private or named mailbox (free-mail, vorname.nachname@)",
    "private_address": "a person's home address (c/o a person, bei Familie …)",
}


def withheld_report(con: duckdb.DuckDBPyConnection) -> dict:
    """Per source: records withheld by policy, and per field the private values left out:
    whole values (contact person, phones, e-mails) and, per free-text field, what was removed
    from its text, counted per kind of finding (`personal_fields` "<field>:<kind>")."""
    rows = con.execute("""
        SELECT s.source_id, s.policy, s.licence,
               count(l.id) FILTER (WHERE l.active) AS active,
               count(l.contact_person) FILTER (WHERE l.active) AS contact_person,
               coalesce(sum(len(list_filter(l.phones, lambda p: p.personal)))
                        FILTER (WHERE l.active), 0) AS phones,
               coalesce(sum(len(list_filter(l.emails, lambda e: e.personal)))
                        FILTER (WHERE l.active), 0) AS emails
        FROM sources s LEFT JOIN listings l USING (source_id)
        GROUP BY ALL ORDER BY s.source_id
    """).fetchall()
    in_text: dict[str, dict[str, dict[str, int]]] = {}
    for sid, name, kind, count in con.execute("""
        SELECT source_id, split_part(f, ':', 1), split_part(f, ':', 2), count(*)
        FROM (SELECT source_id, unnest(personal_fields) AS f FROM listings WHERE active)
        WHERE contains(f, ':') GROUP BY ALL ORDER BY ALL
    """).fetchall():
        in_text.setdefault(sid, {}).setdefault(name, {})[kind] = count
    traces = value_traces(con)
    report = {}
    for sid, policy, licence, active, person, phones, emails in rows:
        if policy != "open":
            report[sid] = {"records_withheld": active,
                           "reason": f"licence {licence} does not allow republication "
                                     f"(policy {policy!r})"}
        else:
            report[sid] = {"records_withheld": 0, "fields_withheld": {
                "contact_person": {"count": person, "reason": "private person"},
                "phones": {"count": int(phones), "reason": "private person's number"},
                "emails": {"count": int(emails),
                           "reason": "private person's or named staff member's mailbox"},
            } | {name: {"count": sum(kinds.values()),
                        "reason": "removed from the text: "
                                  + "; ".join(FINDING_REASONS.get(k, k) for k in kinds),
                        "findings": kinds}
                 for name, kinds in in_text.get(sid, {}).items()},
                "values_withheld": {
                    "count": sum(t["values"] for t in traces.get(sid, [])),
                    "reason": VALUES_WITHHELD_REASON,
                    "traces": traces.get(sid, [])}}
    return report


VALUES_WITHHELD_REASON = (
    "values the source gave that are not published because they are invalid or no address "
    "(quality flags of kind withheld): one trace per listing and reason, naming the listing "
    "id, the field and the flag code, never the value itself (it may be a private person's; "
    "it stays in the warehouse and the archived page)")


def value_traces(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Per open source: every published listing that lost a value to a withheld flag, as
    {id, field, reason (the flag code), values (how many)}, in id order."""
    withheld = {f.code: f.field for f in FLAG_CODES if f.kind == "withheld"}
    return dict(con.execute("""
        SELECT source_id, list({'id': id, 'field': map($codes, $fields)[code], 'reason': code,
                                'values': n} ORDER BY id, code)
        FROM (SELECT l.source_id, l.id::VARCHAR AS id, split_part(f.flag, ':', 1) AS code,
                     count(*) AS n
              FROM listings l JOIN sources s USING (source_id), unnest(l.flags) AS f(flag)
              WHERE l.active AND s.policy = 'open' AND list_contains($codes, code)
              GROUP BY ALL)
        GROUP BY source_id
    """, {"codes": list(withheld), "fields": list(withheld.values())}).fetchall())
