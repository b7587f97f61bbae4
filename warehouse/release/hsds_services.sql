-- services.json: each service with its organization, phones, schedules, attributes (each with
-- its taxonomy_term) and service_at_locations (each with its location and the location's
-- address) nested, in release order. The hsds_*_members views are hsds.sql's records as lists
-- of JSON object members (made by warehouse/release/hsds.py). The services of the listings
-- $first to $last (`ord`) at a time: the nesting's joins and groups hold one batch.
WITH phones AS (
    SELECT service_id, '[' || string_agg(hsds_object(members), ',' ORDER BY sub) || ']' AS json
    FROM hsds_phone_members WHERE ord BETWEEN $first AND $last GROUP BY service_id),
schedules AS (
    SELECT service_id, '[' || string_agg(hsds_object(members), ',' ORDER BY sub) || ']' AS json
    FROM hsds_schedule_members WHERE ord BETWEEN $first AND $last GROUP BY service_id),
attributes AS (
    SELECT service_id, '[' || string_agg(hsds_object(a.members || [
               hsds_member('taxonomy_term', hsds_object(t.members))]), ',' ORDER BY sub) || ']'
           AS json
    FROM hsds_attribute_members a JOIN hsds_taxonomy_term_members t USING (service_id, sub)
    WHERE a.ord BETWEEN $first AND $last GROUP BY service_id),
places AS (
    SELECT service_id, '[' || hsds_object(sal.members || [hsds_member('location', hsds_object(
               l.members || [hsds_member('addresses', '[' || hsds_object(ad.members) || ']')]))])
           || ']' AS json
    FROM hsds_service_at_location_members sal
    JOIN hsds_location_members l USING (service_id)
    LEFT JOIN hsds_address_members ad USING (service_id)
    WHERE sal.ord BETWEEN $first AND $last)
SELECT hsds_object(s.members || [
    hsds_member('organization', hsds_object(o.members)), hsds_member('phones', phones.json),
    hsds_member('schedules', schedules.json), hsds_member('attributes', attributes.json),
    hsds_member('service_at_locations', places.json)])
FROM hsds_service_members s
JOIN hsds_organization_members o USING (service_id)
LEFT JOIN phones USING (service_id)
LEFT JOIN schedules USING (service_id)
LEFT JOIN attributes USING (service_id)
LEFT JOIN places USING (service_id)
WHERE s.ord BETWEEN $first AND $last
ORDER BY s.ord
