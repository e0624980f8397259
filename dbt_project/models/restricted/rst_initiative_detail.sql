{{
    config(
        alias='initiative_detail',
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='initiative_key',
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}],
        indexes=[
            {'columns': ['initiative_key'], 'unique': True},
            {'columns': ['unit_code']},
        ],
    )
}}
{#- Record-level detail with author names, for provincial follow-up (restricted schema, own unit only). -#}
-- depends_on: {{ ref('int_records__status_scope') }}

with

initiatives as (

    select * from {{ ref('fct_initiative') }}
    {% if is_incremental() -%}
    where initiative_key in (select initiative_key from {{ ref('int_records__status_scope') }})
    {%- endif %}

),

versioned as (

    select * from {{ ref('int_records__versioned') }}

),

final as (

    select
        initiatives.initiative_key,
        initiatives.unit_code,
        initiatives.record_id,
        versioned.grassroots_union,
        versioned.authors,
        versioned.author_ids,
        initiatives.title,
        versioned.recognized_by,
        versioned.award,
        initiatives.submitted_at,
        initiatives.submitted_date,
        versioned.review_status,
        initiatives.status,
        initiatives.invalid_reasons,
        initiatives.duplicate_of_key

    from initiatives
    inner join versioned
        on initiatives.initiative_key = versioned.initiative_key

)

select * from final
