{#-
    The (unit, submitted date) cells whose counts this build recomputes: the
    current cells of every record in the status scope and the cells the
    touched records were counted in at the last successful build.
-#}
with

status_scope as (

    select initiative_key from {{ ref('int_records__status_scope') }}

),

initiatives as (

    select * from {{ ref('fct_initiative') }}

),

touched_records as (

    select * from {{ ref('int_records__touched') }}

),

cells_now as (

    select
        initiatives.unit_code,
        initiatives.submitted_date

    from initiatives
    inner join status_scope
        on initiatives.initiative_key = status_scope.initiative_key
    where initiatives.submitted_date is not null

),

cells_before as (

    select
        unit_code,
        previous_submitted_date as submitted_date

    from touched_records
    where previous_submitted_date is not null

),

final as (

    select unit_code, submitted_date from cells_now
    union
    select unit_code, submitted_date from cells_before

)

select * from final
