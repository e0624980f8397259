{#- The 82 reporting units with their province during the programme and after the 2025 reorganisation. -#}
with

units as (

    select * from {{ ref('stg_reference__reporting_units') }}

),

provinces as (

    select * from {{ ref('stg_reference__provinces_2022') }}

),

final as (

    select
        units.unit_code,
        units.unit_name,
        units.unit_type,
        units.province_code,
        provinces.province_name,
        provinces.province_code_2025,
        provinces.province_name_2025

    from units
    left join provinces
        on units.province_code = provinces.province_code

)

select * from final
