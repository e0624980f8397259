{#-
    The set of current deliveries this build processed, recorded as the very
    last step: it depends on every model that uses the build's change set, so
    when any of them (or its tests) fails it is skipped and the next build sees
    the same changes again. Read back by `int_deliveries__changed`.
    Add any new incremental model's leaves to the list below.
-#}
-- depends_on: {{ ref('fct_unit_daily') }}
-- depends_on: {{ ref('rpt_unit_ranking') }}
-- depends_on: {{ ref('rpt_programme_progress') }}
-- depends_on: {{ ref('rpt_target_attainment') }}
-- depends_on: {{ ref('rpt_breakdown') }}
-- depends_on: {{ ref('qa_duplicate_link') }}
-- depends_on: {{ ref('rst_initiative_detail') }}
-- depends_on: {{ ref('int_records__change_log') }}
-- depends_on: {{ ref('rpt_unit_participants') }}

with

current_deliveries as (

    select * from {{ ref('int_deliveries__current') }}

),

final as (

    select
        delivery_id,
        unit_code,
        business_date,
        -- the build's start: tells the next build this one finished
        '{{ run_started_at.isoformat() }}'::timestamptz as built_at

    from current_deliveries

)

select * from final
