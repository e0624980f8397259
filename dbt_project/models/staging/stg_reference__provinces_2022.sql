with

source as (

    select * from {{ ref('provinces_2022') }}

),

renamed as (

    select
        province_code,
        full_name as province_name,
        short_name as province_short_name,
        kind as province_kind,
        province_code_2025,
        name_2025 as province_name_2025,
        unchanged_in_2025 as is_unchanged_in_2025

    from source

)

select * from renamed
