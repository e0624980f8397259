with

source as (

    select * from {{ ref('unit_targets') }}

),

renamed as (

    select
        unit_code,
        phase,
        target_kind,
        target,
        basis as target_basis,
        source as target_source

    from source

)

select * from renamed
