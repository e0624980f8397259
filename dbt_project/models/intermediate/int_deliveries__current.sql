{#- The deliveries this build works from: the current (`loaded`) delivery of every (unit, business_date). -#}
with

deliveries as (

    select * from {{ ref('stg_quality__delivery') }}

),

final as (

    select
        delivery_id,
        unit_code,
        business_date,
        loaded_at

    from deliveries
    where delivery_status = 'loaded'

)

select * from final
