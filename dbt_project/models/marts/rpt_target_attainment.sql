{#-
    Each unit's valid initiatives against its assigned and registered targets,
    per phase. Phase 2 targets are programme totals (the national 1,000,000
    "in total"), so phase 2 compares all valid initiatives of the programme;
    `valid_in_phase` gives the phase's own count.
-#}
with

targets as (

    select * from {{ ref('int_units__targets') }}

),

daily as (

    select * from {{ ref('fct_unit_daily') }}

),

dates as (

    select date, phase from {{ ref('int_programme__dates') }}

),

valid_by_phase as (

    select
        daily.unit_code,
        dates.phase,
        sum(daily.valid)::bigint as valid_in_phase

    from daily
    inner join dates
        on daily.date = dates.date
    group by
        daily.unit_code,
        dates.phase

),

counted as (

    select
        targets.unit_code,
        targets.phase,
        targets.target_assigned,
        targets.target_registered,
        coalesce(valid_by_phase.valid_in_phase, 0) as valid_in_phase,
        (
            sum(coalesce(valid_by_phase.valid_in_phase, 0)) over (
                partition by targets.unit_code
                order by targets.phase
                rows between unbounded preceding and current row
            )
        )::bigint as valid,
        targets.assigned_basis,
        targets.registered_basis

    from targets
    left join valid_by_phase
        on targets.unit_code = valid_by_phase.unit_code
        and targets.phase = valid_by_phase.phase

),

final as (

    select
        unit_code,
        phase,
        target_assigned,
        target_registered,
        valid,
        round(100.0 * valid / nullif(target_assigned, 0), 2) as pct_of_assigned,
        round(100.0 * valid / nullif(target_registered, 0), 2) as pct_of_registered,
        valid_in_phase,
        case when phase = 1 then 'phase' else 'programme_total' end as target_scope,
        assigned_basis,
        registered_basis

    from counted

)

select * from final
