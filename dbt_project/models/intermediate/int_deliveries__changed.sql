{#-
    Deliveries whose membership of the current set changed since the last
    successful build: `appeared` (loaded since) and `vanished` (replaced since,
    or otherwise no longer loaded). The last successful build's set is the table
    `int_deliveries__processed`, written by the build's very last model, so a
    build that fails leaves it alone and the next build picks the same changes
    up again. On a first build or a full refresh every current delivery appears.
-#}
{%- set processed = previous_build_relation('int_deliveries__processed', this.schema) -%}

with

current_deliveries as (

    select delivery_id from {{ ref('int_deliveries__current') }}

),

previous_deliveries as (

    {% if processed is none or flags.FULL_REFRESH -%}
    select null::bigint as delivery_id
    where false
    {%- else -%}
    select delivery_id from {{ processed }}
    {%- endif %}

),

appeared as (

    select delivery_id from current_deliveries
    except
    select delivery_id from previous_deliveries

),

vanished as (

    select delivery_id from previous_deliveries
    except
    select delivery_id from current_deliveries

),

final as (

    select
        delivery_id,
        'appeared' as change

    from appeared

    union all

    select
        delivery_id,
        'vanished' as change

    from vanished

)

select * from final
