{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['initiative_key', 'author_key'],
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}],
        indexes=[
            {'columns': ['initiative_key']},
            {'columns': ['unit_code', 'author_key']},
        ],
    )
}}
{#-
    One row per record and author (keyed pseudonym) for the records that count
    towards participation (not withdrawn): the bridge that lets participants be
    recounted for the authors a night touched instead of over the whole history.
-#}
-- depends_on: {{ ref('int_unit_authors__changed') }}
-- depends_on: {{ ref('int_records__status_scope') }}

with

initiatives as (

    select initiative_key, unit_code, status, author_keys from {{ ref('fct_initiative') }}
    where status <> 'withdrawn'
        and author_keys is not null
    {% if is_incremental() -%}
        and initiative_key in (select initiative_key from {{ ref('int_records__status_scope') }})
    {%- endif %}

),

final as (

    select distinct
        initiatives.initiative_key,
        initiatives.unit_code,
        author_key,
        initiatives.status = 'valid' as is_valid

    from initiatives
    cross join lateral unnest(string_to_array(initiatives.author_keys, ';')) as author_key

)

select * from final
