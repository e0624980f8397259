{#-
    Records whose set of current versions changed since the last successful
    build (they appear in an appeared or vanished delivery), with what they
    looked like then: the exact-duplicate group and the submitted date of their
    previous latest version. Everything downstream is recomputed for these
    records and for the duplicate groups they left or joined.
-#}
{%- set processed = previous_build_relation('int_deliveries__processed', this.schema) -%}

with

changed_deliveries as (

    select delivery_id from {{ ref('int_deliveries__changed') }}

),

record_rows as not materialized (

    select * from {{ ref('stg_raw__initiative_row') }}

),

touched_records as (

    select distinct
        record_rows.unit_code,
        record_rows.record_id

    from record_rows
    inner join changed_deliveries
        on record_rows.delivery_id = changed_deliveries.delivery_id

),

{% if processed is none or flags.FULL_REFRESH -%}
previous_attributes as (

    select
        null::text as unit_code,
        null::text as record_id,
        null::text as title,
        null::text as authors,
        null::timestamptz as submitted_at
    where false

),
{%- else -%}
previous_deliveries as (

    select delivery_id from {{ processed }}

),

-- Record by record (lateral, through raw's (unit_code, record_id) index): the
-- night's few thousand records, not a sort of the whole history.
previous_attributes as (

    select
        touched_records.unit_code,
        touched_records.record_id,
        previous_version.title,
        previous_version.authors,
        previous_version.submitted_at

    from touched_records
    cross join lateral (
        select
            record_rows.title,
            record_rows.authors,
            record_rows.submitted_at

        from record_rows
        where record_rows.unit_code = touched_records.unit_code
            and record_rows.record_id = touched_records.record_id
            and not record_rows.is_deleted
            and record_rows.delivery_id in (select delivery_id from previous_deliveries)
        order by record_rows.delivery_business_date desc
        limit 1
    ) as previous_version

),
{%- endif %}

final as (

    select
        touched_records.unit_code || ':' || touched_records.record_id as initiative_key,
        touched_records.unit_code,
        touched_records.record_id,
        -- The author set is built under collate "C", which the key would inherit;
        -- int_records__status_scope looks the key up in classified's match_group_key
        -- index (default collation), which a "C" comparison cannot use (it read all
        -- 2.4 M records instead: 1.4 s a night at full scale).
        {{ match_group_key(
            normalise_for_matching('previous_attributes.title'),
            author_set_key('previous_attributes.authors')
        ) }} collate "default" as previous_match_group_key,
        {{ local_date('previous_attributes.submitted_at') }} as previous_submitted_date

    from touched_records
    left join previous_attributes
        on touched_records.unit_code = previous_attributes.unit_code
        and touched_records.record_id = previous_attributes.record_id

)

select * from final
