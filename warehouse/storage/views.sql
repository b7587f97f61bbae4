-- Researcher views: one row per real thing (entity), the best value of each field with the
-- source it came from. "Best" is the member listing with the most filled fields (ties: the
-- longest known). Values about private persons never appear here.

CREATE OR REPLACE VIEW entity_listings AS
SELECT e.entity_id, l.*,
       row_number() OVER (
           PARTITION BY e.entity_id
           ORDER BY (l.address IS NOT NULL)::INT + (l.description IS NOT NULL)::INT
                    + (len(l.phones) > 0)::INT + (len(l.emails) > 0)::INT
                    + (len(l.websites) > 0)::INT + (l.opening_hours IS NOT NULL)::INT
                    + (l.meeting IS NOT NULL)::INT + (len(l.topics) > 0)::INT DESC,
                    l.first_seen, l.id) AS rank
FROM entities e
JOIN entity_members m ON m.entity_id = e.entity_id
JOIN listings l ON l.id = m.listing_id
WHERE e.retired_into IS NULL AND l.active;

CREATE OR REPLACE VIEW entities_best AS
SELECT entity_id,
       any_value(kind) AS kind,
       first(name ORDER BY rank) AS name,
       first(source_id ORDER BY rank) AS name_source,
       first(description ORDER BY rank) FILTER (WHERE description IS NOT NULL) AS description,
       first(source_id ORDER BY rank) FILTER (WHERE description IS NOT NULL)
           AS description_source,
       first(address ORDER BY rank) FILTER (WHERE address.postcode IS NOT NULL) AS address,
       first(source_id ORDER BY rank) FILTER (WHERE address.postcode IS NOT NULL)
           AS address_source,
       list_distinct(flatten(list(list_transform(
           list_filter(phones, lambda p: p.valid AND NOT p.personal), lambda p: p.e164)))) AS phones,
       list_distinct(flatten(list(list_transform(
           list_filter(emails, lambda e: e.valid AND NOT e.personal), lambda e: e.address))))
           AS emails,
       list_distinct(flatten(list(list_transform(
           list_filter(websites, lambda w: w.valid), lambda w: w.url)))) AS websites,
       first(opening_hours ORDER BY rank) FILTER (WHERE opening_hours.osm IS NOT NULL)
           AS opening_hours,
       first(source_id ORDER BY rank) FILTER (WHERE opening_hours.osm IS NOT NULL)
           AS opening_hours_source,
       first(meeting ORDER BY rank) FILTER (WHERE meeting IS NOT NULL) AS meeting,
       first(source_id ORDER BY rank) FILTER (WHERE meeting IS NOT NULL) AS meeting_source,
       list_sort(list_distinct(flatten(list(list_transform(
           list_filter(topics, lambda t: t.code IS NOT NULL), lambda t: t.code)))))
           AS topic_codes,
       first(contact_route ORDER BY rank) FILTER (WHERE contact_route IS NOT NULL)
           AS contact_route,
       list_sort(list(DISTINCT source_id)) AS sources,
       list_sort(list(id::VARCHAR)) AS listing_ids,
       min(first_seen) AS first_seen,
       max(changed_at) AS changed_at
FROM entity_listings
GROUP BY entity_id;

CREATE OR REPLACE VIEW groups AS
SELECT *, replace(strip_accents(lower(concat_ws(' ', name, description,
           array_to_string(topic_codes, ' '), address.city))), 'ß', 'ss') AS search_text
FROM entities_best WHERE kind = 'group';

CREATE OR REPLACE VIEW contact_centres AS
SELECT *, replace(strip_accents(lower(concat_ws(' ', name, description, address.city))),
                  'ß', 'ss') AS search_text
FROM entities_best WHERE kind = 'contact_centre';

CREATE OR REPLACE VIEW organisations AS
SELECT *, replace(strip_accents(lower(concat_ws(' ', name, description, address.city))),
                  'ß', 'ss') AS search_text
FROM entities_best WHERE kind = 'organisation';

CREATE OR REPLACE VIEW topics AS
SELECT t.code, any_value(t.preferred) AS preferred, any_value(t.area) AS area,
       count(DISTINCT e.entity_id) AS entities,
       count(DISTINCT e.entity_id) FILTER (WHERE e.kind = 'group') AS groups,
       list_sort(list(DISTINCT t.label)) AS source_labels
FROM entity_listings e, unnest(e.topics) AS u(t)
WHERE t.code IS NOT NULL
GROUP BY t.code;
COMMENT ON VIEW topics IS 'topic codes with their area, the entities and groups that carry them, and the labels sources print';
COMMENT ON COLUMN topics.code IS 'taxonomy code';
COMMENT ON COLUMN topics.preferred IS 'preferred label';
COMMENT ON COLUMN topics.area IS 'broad area';
COMMENT ON COLUMN topics.entities IS 'entities with this topic';
COMMENT ON COLUMN topics.groups IS 'groups with this topic';
COMMENT ON COLUMN topics.source_labels IS 'labels the sources print for it';
