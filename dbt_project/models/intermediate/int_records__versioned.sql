{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='initiative_key',
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__touched'}],
        indexes=[
            {'columns': ['initiative_key'], 'unique': True},
        ],
    )
}}
{#-
    One row per record (unit_code, record_id) present in a current delivery:
    its latest version (contract §4a: the delivery with the latest business_date
    wins; within a delivery the loader already kept the latest updated_at, then
    the later line). When that version is a tombstone, the attributes come from
    the latest non-deleted version, when there is one.
-#}
-- depends_on: {{ ref('int_records__touched') }}

with

current_deliveries as (

    select delivery_id from {{ ref('int_deliveries__current') }}

),

{% if is_incremental() -%}
-- The touched records' rows, record by record through raw's (unit_code,
-- record_id) index (`lateral … offset 0`): left to itself the planner scans all
-- of raw for them (3 s at full scale for a peak night, 0.2 s by probes).
record_rows as (

    select raw_rows.*

    from {{ ref('int_records__touched') }} as touched_records
    cross join lateral (
        select *
        from {{ ref('stg_raw__initiative_row') }} as raw_rows
        where raw_rows.unit_code = touched_records.unit_code
            and raw_rows.record_id = touched_records.record_id
        offset 0
    ) as raw_rows

),
{%- else -%}
record_rows as (

    select * from {{ ref('stg_raw__initiative_row') }}

),
{%- endif %}

versions as (

    select
        record_rows.*,
        first_value(record_rows.is_deleted) over by_recency as latest_is_deleted,
        first_value(record_rows.delivery_id) over by_recency as version_delivery_id,
        first_value(record_rows.delivery_business_date) over by_recency as version_business_date,
        count(*) over by_recency_all as version_count,
        row_number() over by_attributes as attribute_rank

    from record_rows
    inner join current_deliveries
        on record_rows.delivery_id = current_deliveries.delivery_id
    window
        by_recency as (
            partition by record_rows.unit_code, record_rows.record_id
            order by record_rows.delivery_business_date desc
        ),
        by_recency_all as (partition by record_rows.unit_code, record_rows.record_id),
        -- the latest non-deleted version first; a tombstone only when there is nothing else
        by_attributes as (
            partition by record_rows.unit_code, record_rows.record_id
            order by record_rows.is_deleted, record_rows.delivery_business_date desc
        )

),

final as (

    select
        initiative_key,
        unit_code,
        record_id,
        latest_is_deleted as is_deleted,
        version_delivery_id,
        version_business_date,
        version_count,
        {%- set attributes = [
            'title', 'solution_type', 'field', 'participant_group', 'grassroots_union',
            'authors', 'author_ids', 'author_keys', 'benefit_vnd', 'applied_on', 'recognized_by',
            'recognition_level', 'award', 'is_confidential', 'review_status',
            'submitted_at', 'updated_at',
        ] %}
        case when not is_deleted then delivery_business_date end as attributes_business_date,
        {%- for attribute in attributes %}
        case when not is_deleted then {{ attribute }} end as {{ attribute }}{{ ',' if not loop.last }}
        {%- endfor %}

    from versions
    where attribute_rank = 1

)

select * from final
