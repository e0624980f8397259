{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        indexes=[
            {'columns': ['changed_at']},
        ],
    )
}}
{#-
    Append-only log of the records whose fct_initiative row this build
    rewrote (or removed): the build's status scope, stamped with the build's
    start time. The publisher (sangkien.gate.publish) copies only these keys
    from the audited candidate into the published fct_initiative. Never
    rebuilt by a full refresh (on a full refresh every record is in scope and
    is logged again).
-#}
-- depends_on: {{ ref('fct_initiative') }}

with

status_scope as (

    select initiative_key from {{ ref('int_records__status_scope') }}

),

final as (

    select
        initiative_key,
        '{{ run_started_at.isoformat() }}'::timestamptz as changed_at

    from status_scope

)

select * from final
