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

previous_versions as (

    select
        record_rows.unit_code,
        record_rows.record_id,
        record_rows.title,
        record_rows.authors,
        record_rows.submitted_at,
        row_number() over (
            partition by record_rows.unit_code, record_rows.record_id
            order by record_rows.delivery_business_date desc
        ) as recency_rank

    from record_rows
    inner join touched_records
        on record_rows.unit_code = touched_records.unit_code
        and record_rows.record_id = touched_records.record_id
    inner join previous_deliveries
        on record_rows.delivery_id = previous_deliveries.delivery_id
    where not record_rows.is_deleted

),

previous_attributes as (

    select * from previous_versions
    where recency_rank = 1

),
{%- endif %}

final as (

    select
        touched_records.unit_code || ':' || touched_records.record_id as initiative_key,
        touched_records.unit_code,
        touched_records.record_id,
        {{ match_group_key(
            normalise_for_matching('previous_attributes.title'),
            author_set_key('previous_attributes.authors')
        ) }} as previous_match_group_key,
        {{ local_date('previous_attributes.submitted_at') }} as previous_submitted_date

    from touched_records
    left join previous_attributes
        on touched_records.unit_code = previous_attributes.unit_code
        and touched_records.record_id = previous_attributes.record_id

)

select * from final
