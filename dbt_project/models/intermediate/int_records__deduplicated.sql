{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='initiative_key',
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}],
        indexes=[
            {'columns': ['initiative_key'], 'unique': True},
            {'columns': ['block_key_1']},
            {'columns': ['block_key_2']},
            {'columns': ['block_key_3']},
        ],
    )
}}
{#-
    Final status per record (contract §4 precedence): withdrawn and invalid as
    classified; among the remaining candidates, records with the same
    normalised title and author set form a group whose earliest record
    (submitted_at, then unit_code, then record_id, byte order) is the original
    and keeps its review status; every other member becomes `duplicate` and
    points to it — kind `exact` within a unit, `cross_unit` across units.
-#}
-- depends_on: {{ ref('int_records__status_scope') }}

with

classified as (

    select * from {{ ref('int_records__classified') }}
    {% if is_incremental() -%}
    where initiative_key in (select initiative_key from {{ ref('int_records__status_scope') }})
    {%- endif %}

),

grouped as (

    select
        *,
        row_number() over duplicate_group as group_position,
        first_value(initiative_key) over duplicate_group as original_key,
        first_value(unit_code) over duplicate_group as original_unit_code

    from classified
    window duplicate_group as (
        partition by match_group_key
        order by submitted_at, unit_code collate "C", record_id collate "C"
    )

),

flagged as (

    select
        *,
        match_group_key is not null and group_position > 1 as is_duplicate

    from grouped

),

final as (

    select
        initiative_key,
        unit_code,
        record_id,
        submitted_at,
        rule_status,
        invalid_reasons,
        case when is_duplicate then 'duplicate' else rule_status end as status,
        case when is_duplicate then original_key end as duplicate_of_key,
        case
            when is_duplicate and original_unit_code = unit_code then 'exact'
            when is_duplicate then 'cross_unit'
        end as duplicate_kind,
        match_group_key,
        title_key,
        block_key_1,
        block_key_2,
        block_key_3

    from flagged

)

select * from final
