{#-
    Distinct participants per unit, by their keyed pseudonyms (no names): every
    unit of dim_unit, zero where it has no records.
-#}
with

units as (

    select unit_code from {{ ref('dim_unit') }}

),

initiatives as (

    select unit_code, status, author_keys from {{ ref('fct_initiative') }}
    where status <> 'withdrawn' and author_keys is not null

),

author_records as (

    select
        initiatives.unit_code,
        initiatives.status,
        author_key

    from initiatives
    cross join lateral unnest(string_to_array(initiatives.author_keys, ';')) as author_key

),

counted as (

    select
        unit_code,
        count(distinct author_key) as participants,
        count(distinct author_key) filter (where status = 'valid') as valid_participants

    from author_records
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
