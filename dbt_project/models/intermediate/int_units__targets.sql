{#-
    Assigned and registered target of every unit for each phase (phase 2 =
    programme total, like the national 1,000,000). The rule, in order:
    1. a target published in seed `unit_targets` is used as it is;
    2. a unit with a published target for one phase only gets the other by the
       national ratio (phase 1 = 30 % of the total, 300,000 / 1,000,000);
    3. assigned targets still missing share what is left of the national target
       of that phase equally, rounded to the nearest 10;
    4. a unit without a registered target is held to its assigned target.
    `*_basis` says which step produced each number.
-#}
with

units as (

    select unit_code from {{ ref('stg_reference__reporting_units') }}

),

published as (

    select * from {{ ref('stg_targets__unit_targets') }}

),

phases as (

    select phase, national_target
    from (
        values
            (1, {{ var('national_target_phase1') }}),
            (2, {{ var('national_target_total') }})
    ) as national (phase, national_target)

),

kinds as (

    select target_kind
    from (values ('assigned'), ('registered')) as target_kinds (target_kind)

),

grid as (

    select
        units.unit_code,
        phases.phase,
        phases.national_target,
        kinds.target_kind

    from units
    cross join phases
    cross join kinds

),

filled as (

    select
        grid.unit_code,
        grid.phase,
        grid.national_target,
        grid.target_kind,
        coalesce(
            same_phase.target,
            case
                when grid.phase = 1 then round(
                    other_phase.target * {{ var('national_target_phase1') }}::numeric
                    / {{ var('national_target_total') }}
                )
                else round(
                    other_phase.target * {{ var('national_target_total') }}::numeric
                    / {{ var('national_target_phase1') }}
                )
            end
        )::integer as target,
        case
            when same_phase.target is not null then same_phase.target_basis
            when other_phase.target is not null then 'from_other_phase'
        end as target_basis

    from grid
    left join published as same_phase
        on grid.unit_code = same_phase.unit_code
        and grid.phase = same_phase.phase
        and grid.target_kind = same_phase.target_kind
    left join published as other_phase
        on grid.unit_code = other_phase.unit_code
        and grid.phase <> other_phase.phase
        and grid.target_kind = other_phase.target_kind

),

assigned_remainder as (

    select
        phase,
        max(national_target) - coalesce(sum(target), 0) as remaining_target,
        count(*) filter (where target is null) as units_without_target

    from filled
    where target_kind = 'assigned'
    group by phase

),

assigned as (

    select
        filled.unit_code,
        filled.phase,
        coalesce(
            filled.target,
            (round(assigned_remainder.remaining_target::numeric / assigned_remainder.units_without_target, -1))::integer
        ) as target_assigned,
        coalesce(filled.target_basis, 'apportioned_equally') as assigned_basis

    from filled
    inner join assigned_remainder
        on filled.phase = assigned_remainder.phase
    where filled.target_kind = 'assigned'

),

registered as (

    select
        unit_code,
        phase,
        target as target_registered,
        target_basis as registered_basis

    from filled
    where target_kind = 'registered'

),

final as (

    select
        assigned.unit_code,
        assigned.phase,
        assigned.target_assigned,
        coalesce(registered.target_registered, assigned.target_assigned) as target_registered,
        assigned.assigned_basis,
        coalesce(registered.registered_basis, 'defaults_to_assigned') as registered_basis

    from assigned
    inner join registered
        on assigned.unit_code = registered.unit_code
        and assigned.phase = registered.phase

)

select * from final
