{#- National progress per programme date against the 1,000,000 target. -#}
with

daily as (

    select * from {{ ref('fct_unit_daily') }}

),

national as (

    select
        date,
        sum(submitted)::bigint as new_submitted,
        sum(valid)::bigint as new_valid,
        sum(valid_benefit_vnd)::bigint as new_valid_benefit_vnd

    from daily
    group by date

),

final as (

    select
        date,
        new_submitted,
        new_valid,
        (sum(new_submitted) over to_date)::bigint as cumulative_submitted,
        (sum(new_valid) over to_date)::bigint as cumulative_valid,
        round(100.0 * sum(new_valid) over to_date / {{ var('national_target_total') }}, 2) as pct_of_target,
        round(avg(new_valid) over last_seven_days, 2) as valid_7day_avg,
        new_valid_benefit_vnd,
        (sum(new_valid_benefit_vnd) over to_date)::bigint as cumulative_valid_benefit_vnd

    from national
    window
        to_date as (order by date rows between unbounded preceding and current row),
        last_seven_days as (order by date rows between 6 preceding and current row)

)

select * from final
