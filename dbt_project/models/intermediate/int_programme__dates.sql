{#- Every date of the programme (08/01/2022 – 31/08/2023) with its phase. -#}
with

dates as (

    select generated_date::date as date
    from generate_series(
        date '{{ var("programme_start") }}',
        date '{{ var("programme_end") }}',
        interval '1 day'
    ) as generated_date

),

final as (

    select
        date,
        case when date <= date '{{ var("phase1_end") }}' then 1 else 2 end as phase,
        (date - date '{{ var("programme_start") }}') + 1 as programme_day

    from dates

)

select * from final
