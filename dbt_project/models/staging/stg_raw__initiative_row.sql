{#-
    One select, no CTEs: PostgreSQL does not flatten a view that has a WITH
    clause into the query using it, and the nightly models need their join
    keys pushed into raw's indexes (delivery_id; unit_code, record_id) to stay
    proportional to the night instead of scanning the whole history.
-#}
select
    delivery_id,
    unit_code,
    record_id,
    unit_code || ':' || record_id as initiative_key,
    business_date as delivery_business_date,
    line_number,
    is_deleted,
    nullif(title, '') as title,
    solution_type,
    field,
    participant_group,
    nullif(grassroots_union, '') as grassroots_union,
    nullif(authors, '') as authors,
    nullif(author_ids, '') as author_ids,
    author_keys,
    benefit_vnd,
    applied_on,
    nullif(btrim(recognized_by), '') as recognized_by,
    recognition_level,
    nullif(award, '') as award,
    is_confidential,
    review_status,
    submitted_at,
    updated_at

from {{ source('raw', 'initiative_row') }}
