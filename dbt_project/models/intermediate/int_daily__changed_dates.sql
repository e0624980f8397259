{#- The submitted dates whose national per-dimension totals this build recomputes. -#}
with

changed_cells as (

    select * from {{ ref('int_unit_daily__changed_cells') }}

),

final as (

    select distinct submitted_date
    from changed_cells

)

select * from final
