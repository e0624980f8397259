{#-
    Units ranked by cumulative valid initiatives at the end of each programme
    date: standard competition ranking (1, 2, 2, 4), the rank seven days
    earlier and the move (positive = moved up); null for the first seven dates.
-#}
with

daily as (

    select * from {{ ref('fct_unit_daily') }}

),

units as (

    select count(*) as units_ranked from {{ ref('dim_unit') }}

),

ranked as (

    select
        date as as_of_date,
        unit_code,
        cumulative_valid,
        rank() over (partition by date order by cumulative_valid desc) as rank

    from daily

),

final as (

    select
        ranked.as_of_date,
        ranked.unit_code,
        ranked.cumulative_valid,
        ranked.rank,
        week_before.rank as rank_week_before,
        week_before.rank - ranked.rank as rank_change,
        units.units_ranked

    from ranked
    cross join units
    left join ranked as week_before
        on ranked.unit_code = week_before.unit_code
        and week_before.as_of_date = ranked.as_of_date - 7

)

select * from final
