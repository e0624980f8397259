{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['submitted_date', 'dimension', 'value'],
        replace_scope=[{'columns': ['submitted_date'], 'scope': 'int_daily__changed_dates'}],
        indexes=[
            {'columns': ['submitted_date', 'dimension', 'value'], 'unique': True},
        ],
    )
}}
{#-
    National valid records and benefit per submitted date and value of each
    record-level breakdown dimension (the sum over units), re-added for the
    dates whose cells changed, so the breakdown report never re-reads the
    whole unit-level table.
-#}
-- depends_on: {{ ref('int_daily__changed_dates') }}

with

by_unit as (

    select * from {{ ref('int_unit_daily__valid_by_dimension') }}
    {% if is_incremental() -%}
    where submitted_date in (select submitted_date from {{ ref('int_daily__changed_dates') }})
    {%- endif %}

),

final as (

    select
        submitted_date,
        dimension,
        value,
        sum(valid)::bigint as valid,
        sum(valid_benefit_vnd)::bigint as valid_benefit_vnd

    from by_unit
    group by
        submitted_date,
        dimension,
        value

)

select * from final
