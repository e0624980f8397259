with

source as (

    select * from {{ ref('reporting_units') }}

),

renamed as (

    select
        unit_code,
        unit_name,
        unit_type,
        nullif(btrim(province_code), '') as province_code,
        confidence as reference_confidence

    from source

)

select * from renamed
