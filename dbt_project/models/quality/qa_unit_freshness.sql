{{ config(alias='unit_freshness') }}
{#-
    Unit × night, from the programme start to the latest business date any
    delivery carries: whether the unit's night is delivered (a current, loaded
    delivery exists), the status of its latest attempt, and the latest night
    delivered so far. Per-unit freshness: the last row of each unit.
-#}
with

units as (

    select unit_code from {{ ref('dim_unit') }}

),

deliveries as (

    select * from {{ ref('stg_quality__delivery') }}

),

nights as (

    select generated_date::date as business_date
    from generate_series(
        date '{{ var("programme_start") }}',
        greatest(
            date '{{ var("programme_start") }}',
            (select max(business_date) from deliveries)
        ),
        interval '1 day'
    ) as generated_date

),

latest_attempts as (

    select distinct on (unit_code, business_date)
        unit_code,
        business_date,
        delivery_status

    from deliveries
    order by unit_code, business_date, delivery_id desc

),

loaded_nights as (

    select distinct
        unit_code,
        business_date

    from deliveries
    where delivery_status = 'loaded'

),

grid as (

    select
        units.unit_code,
        nights.business_date,
        loaded_nights.business_date is not null as delivered,
        latest_attempts.delivery_status as latest_attempt_status,
        case when loaded_nights.business_date is not null then nights.business_date end as delivered_date

    from units
    cross join nights
    left join loaded_nights
        on units.unit_code = loaded_nights.unit_code
        and nights.business_date = loaded_nights.business_date
    left join latest_attempts
        on units.unit_code = latest_attempts.unit_code
        and nights.business_date = latest_attempts.business_date

),

final as (

    select
        unit_code,
        business_date,
        delivered,
        latest_attempt_status,
        max(delivered_date) over (
            partition by unit_code
            order by business_date
            rows between unbounded preceding and current row
        ) as last_delivery_date,
        business_date - max(delivered_date) over (
            partition by unit_code
            order by business_date
            rows between unbounded preceding and current row
        ) as days_since_last_delivery

    from grid

)

select * from final
