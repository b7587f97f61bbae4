-- Open Referral HSDS 3.0 records of a release's public listings (`hsds_public`, the rows of
-- `warehouse.public.public_table`), joined with `listings` for the structured values only.
-- One view per HSDS resource, its columns named as the HSDS fields; `service_id` ties a record
-- to its listing (the service), `ord` is the listing's place in the release and `sub` the
-- record's place within it. Run by warehouse/release/hsds.py, which defines
-- hsds_namespace() and selects the files' columns.

-- uuid5(NAMESPACE, name) as text: the version and variant bits set in the SHA-1 digest.
CREATE OR REPLACE TEMP MACRO hsds_uuid(digest) AS
    substr(digest, 1, 8) || '-' || substr(digest, 9, 4) || '-5' || substr(digest, 14, 3) || '-'
    || substr('89ab89ab89ab89ab', position(substr(digest, 17, 1) IN '0123456789abcdef'), 1)
    || substr(digest, 18, 3) || '-' || substr(digest, 21, 12);
CREATE OR REPLACE TEMP MACRO hsds_id(name) AS
    hsds_uuid(sha1(hsds_namespace() || encode(name)));
-- The first entry of a ' | '-joined public column.
CREATE OR REPLACE TEMP MACRO hsds_first(joined) AS nullif(split_part(joined, ' | ', 1), '');
-- A member of a JSON object ('"key":value'), null (left out) where the value is null, "" or
-- [] (HSDS has no null fields), and the JSON object of the members that are not null.
CREATE OR REPLACE TEMP MACRO hsds_member(key, value) AS
    CASE WHEN value::VARCHAR NOT IN ('""', '[]') THEN to_json(key)::VARCHAR || ':' || value END;
CREATE OR REPLACE TEMP MACRO hsds_object(members) AS '{' || array_to_string(members, ',') || '}';

-- A listing's organization is itself for contact centres, organisations and listings without
-- a carrier (Träger), else its carrier; the carrier's id is the same for every listing of it.
CREATE OR REPLACE TEMP TABLE hsds_listing AS
SELECT p.id, p.name, p.description, p.emails, p.websites, p.changed_at, p.street,
       p.house_number, p.address_extra, p.postcode, p.city, p.district, p.state, p.latitude,
       p.longitude, p.meeting_text, p.meeting_on_request, p.opening_hours_text,
       row_number() OVER (ORDER BY p.source_id, p.source_key, p.id) AS ord,
       list_filter(l.phones, x -> x.valid AND NOT x.personal) AS public_phones,
       l.topics AS topic_list, l.meeting.schedule AS rhythm,
       CASE WHEN nullif(p.carrier, '') IS NOT NULL
                 AND coalesce(p.kind, '') NOT IN ('contact_centre', 'organisation')
            THEN trim(regexp_replace(p.carrier, '\s+', ' ', 'g')) END AS carrier_name,
       CASE WHEN carrier_name IS NULL THEN hsds_id('organization:listing:' || p.id)
            ELSE hsds_id('organization:carrier:' || replace(lower(carrier_name), 'ß', 'ss'))
       END AS organization_id,
       nullif(p.street, '') IS NOT NULL AND nullif(p.postcode, '') IS NOT NULL
           AND nullif(p.city, '') IS NOT NULL AND nullif(p.state, '') IS NOT NULL AS has_address
FROM hsds_public p JOIN listings l ON l.id::VARCHAR = p.id;

CREATE OR REPLACE TEMP VIEW hsds_service AS
SELECT ord, 0 AS sub, id AS service_id, id, organization_id, name, description,
       hsds_first(websites) AS url, hsds_first(emails) AS email, 'active' AS status,
       changed_at AS last_modified
FROM hsds_listing;

CREATE OR REPLACE TEMP VIEW hsds_organization AS
SELECT ord, 0 AS sub, id AS service_id, organization_id AS id,
       coalesce(carrier_name, name) AS name,
       CASE WHEN carrier_name IS NULL THEN coalesce(nullif(description, ''), name)
            ELSE 'Träger (carrier) von Selbsthilfeangeboten: ' || carrier_name END AS description,
       CASE WHEN carrier_name IS NULL THEN hsds_first(emails) END AS email,
       CASE WHEN carrier_name IS NULL THEN hsds_first(websites) END AS website
FROM hsds_listing;

CREATE OR REPLACE TEMP VIEW hsds_phone AS
SELECT ord, i AS sub, listing_id AS service_id,
       hsds_id('phone:' || listing_id || ':' || (i - 1) || ':' || p.e164) AS id,
       p.e164 AS number,
       CASE WHEN regexp_full_match(p.extension, '[0-9]+')
            THEN try_cast(p.extension AS BIGINT) END AS extension,
       CASE p.type WHEN 'mobile' THEN 'cell' WHEN 'fax' THEN 'fax' ELSE 'voice' END AS type
FROM (SELECT ord, id AS listing_id, unnest(public_phones) AS p,
             generate_subscripts(public_phones, 1) AS i FROM hsds_listing);

-- A meeting is a schedule with its text as published; a WEEKLY or MONTHLY rhythm adds the
-- rule in Europe/Berlin wall-clock time (HSDS has only a fixed offset: 1 = CET, and the notes
-- say so). Opening hours are a schedule of their text only.
CREATE OR REPLACE TEMP VIEW hsds_schedule AS
SELECT ord, 1 AS sub, id AS service_id, hsds_id('schedule:meeting:' || id) AS id,
       meeting_text AS description,
       CASE WHEN meeting_on_request THEN 'nur auf Anfrage' END AS attending_type,
       CASE WHEN understood THEN rhythm.freq END AS freq,
       CASE WHEN understood THEN rhythm."interval" END AS "interval",
       CASE WHEN understood THEN nullif(array_to_string(rhythm.byday, ','), '') END AS byday,
       CASE WHEN understood THEN nullif(rhythm.opens_at, '') || ':00' END AS opens_at,
       CASE WHEN understood THEN nullif(rhythm.closes_at, '') || ':00' END AS closes_at,
       CASE WHEN understood THEN 1 END AS timezone,
       CASE WHEN understood THEN 'Zeiten in Ortszeit Europe/Berlin: timezone 1 = MEZ (UTC+1); '
                                 || 'in der Sommerzeit (MESZ) gilt UTC+2.' END AS notes
FROM (SELECT *, coalesce(rhythm.freq IN ('WEEKLY', 'MONTHLY'), false) AS understood
      FROM hsds_listing)
WHERE nullif(meeting_text, '') IS NOT NULL
UNION ALL BY NAME
SELECT ord, 2 AS sub, id AS service_id, hsds_id('schedule:opening_hours:' || id) AS id,
       opening_hours_text AS description,
       'Öffnungszeiten (opening hours) as published' AS notes
FROM hsds_listing
WHERE nullif(opening_hours_text, '') IS NOT NULL;

CREATE OR REPLACE TEMP VIEW hsds_taxonomy AS
SELECT 0 AS ord, 0 AS sub, hsds_id('taxonomy:selbsthilfe-atlas') AS id,
       'selbsthilfe-atlas' AS name,
       'Themenbereiche (topic codes) des selbsthilfe-atlas' AS description, '1' AS version;

-- A listing's topic codes, each once, as terms of the taxonomy "selbsthilfe-atlas".
CREATE OR REPLACE TEMP VIEW hsds_taxonomy_term AS
SELECT ord, sub, service_id, hsds_id('taxonomy_term:selbsthilfe-atlas:' || code) AS id, code,
       name, name || ' (selbsthilfe-atlas: ' || code || ')' AS description,
       'selbsthilfe-atlas' AS taxonomy, 'de' AS language,
       hsds_id('taxonomy:selbsthilfe-atlas') AS taxonomy_id
FROM (SELECT ord, i AS sub, listing_id AS service_id, t.code,
             coalesce(nullif(t.preferred, ''), nullif(t.label, ''), t.code) AS name
      FROM (SELECT ord, id AS listing_id, unnest(topic_list) AS t,
                   generate_subscripts(topic_list, 1) AS i FROM hsds_listing)
      WHERE nullif(t.code, '') IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY ord, t.code ORDER BY i) = 1);

CREATE OR REPLACE TEMP VIEW hsds_attribute AS
SELECT ord, sub, service_id, hsds_id('attribute:' || service_id || ':' || code) AS id,
       service_id AS link_id, id AS taxonomy_term_id, 'topic' AS link_type,
       'service' AS link_entity
FROM hsds_taxonomy_term;

-- The listing's place: a physical address only when HSDS's required parts are all known;
-- coordinates are public only where the street is (warehouse.public).
CREATE OR REPLACE TEMP VIEW hsds_location AS
SELECT ord, 0 AS sub, id AS service_id, hsds_id('location:' || id) AS id,
       'physical' AS location_type, organization_id, address_extra AS name, latitude, longitude
FROM hsds_listing
WHERE has_address OR latitude IS NOT NULL OR longitude IS NOT NULL;

CREATE OR REPLACE TEMP VIEW hsds_address AS
SELECT ord, 0 AS sub, id AS service_id, hsds_id('address:' || id) AS id,
       hsds_id('location:' || id) AS location_id,
       concat_ws(' ', nullif(street, ''), nullif(house_number, '')) AS address_1,
       address_extra AS address_2, city, district AS region, state AS state_province,
       postcode AS postal_code, 'DE' AS country, 'physical' AS address_type
FROM hsds_listing
WHERE has_address;

CREATE OR REPLACE TEMP VIEW hsds_service_at_location AS
SELECT ord, 0 AS sub, service_id, hsds_id('service_at_location:' || service_id) AS id,
       id AS location_id
FROM hsds_location;
