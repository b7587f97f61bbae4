-- services.json: each service (JSON form of hsds_service) with its organization, phones,
-- schedules, attributes (each with its taxonomy_term) and service_at_locations (each with its
-- location and the location's address) nested, in release order. The hsds_*_json views are
-- hsds.sql's views as HSDS objects (made by warehouse/release/hsds.py).
SELECT json_merge_patch(s.json, hsds_object([
    {'k': 'organization', 'v': o.json},
    {'k': 'phones', 'v': (SELECT to_json(list(p.json ORDER BY p.sub))
                          FROM hsds_phone_json p WHERE p.service_id = s.service_id)},
    {'k': 'schedules', 'v': (SELECT to_json(list(c.json ORDER BY c.sub))
                             FROM hsds_schedule_json c WHERE c.service_id = s.service_id)},
    {'k': 'attributes', 'v': (
        SELECT to_json(list(json_merge_patch(a.json, json_object('taxonomy_term', t.json))
                            ORDER BY a.sub))
        FROM hsds_attribute_json a
        JOIN hsds_taxonomy_term_json t USING (service_id, sub)
        WHERE a.service_id = s.service_id)},
    {'k': 'service_at_locations', 'v': (
        SELECT to_json(list(json_merge_patch(sal.json, json_object('location', json_merge_patch(
            l.json, CASE WHEN ad.json IS NULL THEN '{}'::JSON
                         ELSE json_object('addresses', json_array(ad.json)) END)))))
        FROM hsds_service_at_location_json sal
        JOIN hsds_location_json l USING (service_id)
        LEFT JOIN hsds_address_json ad USING (service_id)
        WHERE sal.service_id = s.service_id)}]))
FROM hsds_service_json s JOIN hsds_organization_json o USING (service_id)
ORDER BY s.ord
