{#-
    Distinct participants per unit, by their keyed pseudonyms (no names): every
    unit of dim_unit, zero where it has no records.
-#}
with

units as (

    select unit_code from {{ ref('dim_unit') }}

),

counted as (

    select
        unit_code,
        count(*) as participants,
        count(*) filter (where valid_records > 0) as valid_participants

    from {{ ref('int_unit_authors__counts') }}
    group by unit_code

),

final as (

    select
        units.unit_code,
        coalesce(counted.participants, 0) as participants,
        coalesce(counted.valid_participants, 0) as valid_participants

    from units
    left join counted
        on units.unit_code = counted.unit_code

)

select * from final
