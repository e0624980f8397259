{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['unit_code', 'author_key'],
        replace_scope=[{'columns': ['unit_code', 'author_key'], 'scope': 'int_unit_authors__changed'}],
        indexes=[
            {'columns': ['unit_code', 'author_key'], 'unique': True},
        ],
    )
}}
{#-
    Each participant of a unit (an author of at least one of its records that
    is not withdrawn) with how many of those records, and how many are valid.
    Recounted nightly for the pairs of `int_unit_authors__changed` only; a pair
    left without records drops out.
-#}
-- depends_on: {{ ref('int_unit_authors__changed') }}

with

record_authors as (

    select unit_code, author_key, is_valid from {{ ref('int_records__authors') }}
    {% if is_incremental() -%}
    where (unit_code, author_key) in (
        select unit_code, author_key from {{ ref('int_unit_authors__changed') }}
    )
    {%- endif %}

),

final as (

    select
        unit_code,
        author_key,
        count(*) as records,
        count(*) filter (where is_valid) as valid_records

    from record_authors
    group by unit_code, author_key

)

select * from final
