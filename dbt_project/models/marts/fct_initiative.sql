{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='initiative_key',
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}],
        indexes=[
            {'columns': ['initiative_key'], 'unique': True},
            {'columns': ['unit_code', 'submitted_date']},
            {'columns': ['duplicate_of_key']},
        ],
    )
}}
{#- One stored record in its latest version, withdrawn ones included. No personal names, no summary. -#}
-- depends_on: {{ ref('int_records__status_scope') }}

with

deduplicated as (

    select * from {{ ref('int_records__deduplicated') }}
    {% if is_incremental() -%}
    where initiative_key in (select initiative_key from {{ ref('int_records__status_scope') }})
    {%- endif %}

),

versioned as (

    select * from {{ ref('int_records__versioned') }}

),

final as (

    select
        deduplicated.initiative_key,
        deduplicated.unit_code,
        deduplicated.record_id,
        versioned.title,
        versioned.solution_type,
        versioned.field,
        versioned.participant_group,
        versioned.recognition_level,
        versioned.is_confidential,
        versioned.benefit_vnd,
        versioned.applied_on,
        versioned.submitted_at,
        {{ local_date('versioned.submitted_at') }} as submitted_date,
        case
            when {{ local_date('versioned.submitted_at') }} <= date '{{ var("phase1_end") }}' then 1
            when versioned.submitted_at is not null then 2
        end as phase,
        deduplicated.status,
        deduplicated.duplicate_of_key,
        deduplicated.duplicate_kind,
        deduplicated.invalid_reasons,
        versioned.review_status,
        versioned.author_keys,
        versioned.version_business_date as last_business_date

    from deduplicated
    inner join versioned
        on deduplicated.initiative_key = versioned.initiative_key

)

select * from final
