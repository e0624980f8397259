with

source as (

    select * from {{ source('quality', 'delivery') }}

),

renamed as (

    select
        delivery_id,
        unit_code,
        business_date,
        status as delivery_status,
        transport,
        has_manifest,
        rows_received,
        rows_published,
        rows_rejected,
        rows_superseded,
        received_at,
        loaded_at,
        replaced_at

    from source

)

select * from renamed
