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

record_rows as (

    select * from {{ ref('stg_raw__initiative_row') }}

),

{% if is_incremental() -%}
touched_records as (

    select unit_code, record_id from {{ ref('int_records__touched') }}

),
{%- endif %}

versions as (

    select
        record_rows.*,
        row_number() over (
            partition by record_rows.unit_code, record_rows.record_id
            order by record_rows.delivery_business_date desc
        ) as recency_rank,
        row_number() over (
            partition by record_rows.unit_code, record_rows.record_id
            order by record_rows.is_deleted, record_rows.delivery_business_date desc
        ) as attribute_rank,
        count(*) over (
            partition by record_rows.unit_code, record_rows.record_id
        ) as version_count

    from record_rows
    inner join current_deliveries
        on record_rows.delivery_id = current_deliveries.delivery_id
    {% if is_incremental() -%}
    inner join touched_records
        on record_rows.unit_code = touched_records.unit_code
        and record_rows.record_id = touched_records.record_id
    {%- endif %}

),

latest_versions as (

    select * from versions
    where recency_rank = 1

),

attribute_versions as (

    select * from versions
    where attribute_rank = 1
        and not is_deleted

),

final as (

    select
        latest_versions.initiative_key,
        latest_versions.unit_code,
        latest_versions.record_id,
        latest_versions.is_deleted,
        latest_versions.delivery_id as version_delivery_id,
        latest_versions.delivery_business_date as version_business_date,
        latest_versions.version_count,
        attribute_versions.delivery_business_date as attributes_business_date,
        attribute_versions.title,
        attribute_versions.solution_type,
        attribute_versions.field,
        attribute_versions.participant_group,
        attribute_versions.grassroots_union,
        attribute_versions.authors,
        attribute_versions.author_ids,
        attribute_versions.benefit_vnd,
        attribute_versions.applied_on,
        attribute_versions.recognized_by,
        attribute_versions.recognition_level,
        attribute_versions.award,
        attribute_versions.is_confidential,
        attribute_versions.review_status,
        attribute_versions.submitted_at,
        attribute_versions.updated_at

    from latest_versions
    left join attribute_versions
        on latest_versions.unit_code = attribute_versions.unit_code
        and latest_versions.record_id = attribute_versions.record_id

)

select * from final
