{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['unit_code', 'submitted_date', 'dimension', 'value'],
        replace_scope=[{'columns': ['unit_code', 'submitted_date'], 'scope': 'int_unit_daily__changed_cells'}],
        indexes=[
            {'columns': ['unit_code', 'submitted_date', 'dimension', 'value'], 'unique': True},
            {'columns': ['submitted_date']},
        ],
    )
}}
{#- Valid records and their benefit per unit, submitted date and value of each record-level breakdown dimension. -#}
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

valid_initiatives as (

    select initiatives.*
    from initiatives
    {% if is_incremental() -%}
    inner join changed_cells
        on initiatives.unit_code = changed_cells.unit_code
        and initiatives.submitted_date = changed_cells.submitted_date
    {%- endif %}
    where initiatives.status = 'valid'

),

unpivoted as (

    select
        valid_initiatives.unit_code,
        valid_initiatives.submitted_date,
        dimensions.dimension,
        dimensions.value,
        valid_initiatives.benefit_vnd

    from valid_initiatives
    cross join lateral (
        values
            ('participant_group', valid_initiatives.participant_group),
            ('field', valid_initiatives.field),
            ('solution_type', valid_initiatives.solution_type),
            ('recognition_level', valid_initiatives.recognition_level)
    ) as dimensions (dimension, value)

),

final as (

    select
        unit_code,
        submitted_date,
        dimension,
        value,
        count(*) as valid,
        coalesce(sum(benefit_vnd), 0)::bigint as valid_benefit_vnd

    from unpivoted
    group by
        unit_code,
        submitted_date,
        dimension,
        value

)

select * from final
