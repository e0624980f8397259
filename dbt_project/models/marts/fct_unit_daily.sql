{#-
    Every unit × every programme date (zeros included): records by submitted
    date with their latest status, and running totals from the programme start.
    `submitted` counts every stored record that is not withdrawn.
-#}
with

units as (

    select unit_code from {{ ref('dim_unit') }}

),

dates as (

    select date from {{ ref('int_programme__dates') }}

),

counts as (

    select * from {{ ref('int_unit_daily__counts') }}

),

daily as (

    select
        units.unit_code,
        dates.date,
        coalesce(counts.submitted, 0) as submitted,
        coalesce(counts.valid, 0) as valid,
        coalesce(counts.pending, 0) as pending,
        coalesce(counts.invalid, 0) as invalid,
        coalesce(counts.duplicate, 0) as duplicate,
        coalesce(counts.valid_benefit_vnd, 0) as valid_benefit_vnd

    from units
    cross join dates
    left join counts
        on units.unit_code = counts.unit_code
        and dates.date = counts.submitted_date

),

final as (

    select
        unit_code,
        date,
        submitted,
        valid,
        pending,
        invalid,
        duplicate,
        (sum(submitted) over unit_to_date)::bigint as cumulative_submitted,
        (sum(valid) over unit_to_date)::bigint as cumulative_valid,
        (sum(pending) over unit_to_date)::bigint as cumulative_pending,
        (sum(invalid) over unit_to_date)::bigint as cumulative_invalid,
        (sum(duplicate) over unit_to_date)::bigint as cumulative_duplicate,
        valid_benefit_vnd,
        (sum(valid_benefit_vnd) over unit_to_date)::bigint as cumulative_valid_benefit_vnd

    from daily
    window unit_to_date as (
        partition by unit_code
        order by date
        rows between unbounded preceding and current row
    )

)

select * from final
