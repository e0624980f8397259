{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['unit_code', 'submitted_date'],
        replace_scope=[{'columns': ['unit_code', 'submitted_date'], 'scope': 'int_unit_daily__changed_cells'}],
        indexes=[
            {'columns': ['unit_code', 'submitted_date'], 'unique': True},
        ],
    )
}}
{#- Record counts per unit and submitted date (only cells with records; any date), by final status. -#}
-- depends_on: {{ ref('int_unit_daily__changed_cells') }}

with

initiatives as (

    select * from {{ ref('fct_initiative') }}

),

{% if is_incremental() -%}
changed_cells as (

    select unit_code, submitted_date from {{ ref('int_unit_daily__changed_cells') }}

),
{%- endif %}

final as (

    select
        initiatives.unit_code,
        initiatives.submitted_date,
        count(*) filter (where initiatives.status <> 'withdrawn') as submitted,
        count(*) filter (where initiatives.status = 'valid') as valid,
        count(*) filter (where initiatives.status = 'pending') as pending,
        count(*) filter (where initiatives.status = 'invalid') as invalid,
        count(*) filter (where initiatives.status = 'duplicate') as duplicate,
        count(*) filter (where initiatives.status = 'withdrawn') as withdrawn,
        coalesce(sum(initiatives.benefit_vnd) filter (where initiatives.status = 'valid'), 0)::bigint
            as valid_benefit_vnd

    from initiatives
    {% if is_incremental() -%}
    inner join changed_cells
        on initiatives.unit_code = changed_cells.unit_code
        and initiatives.submitted_date = changed_cells.submitted_date
    {%- endif %}
    where initiatives.submitted_date is not null
    group by
        initiatives.unit_code,
        initiatives.submitted_date

)

select * from final
