with

source as (

    select * from {{ ref('provinces_2025') }}

),

renamed as (

    select
        province_code_2025,
        full_name as province_name_2025,
        short_name as province_short_name_2025,
        kind as province_kind,
        merged_from_codes,
        effective_from

    from source

)

select * from renamed
