{#-
    Cumulative valid initiatives and their benefit at the end of every
    programme date, by participant_group, field, solution_type,
    recognition_level and 2025 province (sector and corporation unions, which
    have no province, under value `none`). Every value of every dimension has a
    row on every date (zeros included), so each dimension sums to the national
    cumulative valid count.
-#}
with

dates as (

    select date from {{ ref('int_programme__dates') }}

),

units as (

    select * from {{ ref('dim_unit') }}

),

provinces_2025 as (

    select * from {{ ref('stg_reference__provinces_2025') }}

),

by_dimension as (

    select * from {{ ref('int_daily__valid_by_dimension') }}

),

unit_daily as (

    select * from {{ ref('int_unit_daily__counts') }}

),

dimension_values as (

    {% for dimension, values in contract_values().items() -%}
    {% for value in values -%}
    select
        '{{ dimension }}' as dimension,
        '{{ value }}' as value,
        '{{ value }}' as value_label
    union all
    {% endfor -%}
    {% endfor -%}
    select
        'province_2025' as dimension,
        province_code_2025 as value,
        province_name_2025 as value_label
    from provinces_2025
    union all
    select
        'province_2025' as dimension,
        'none' as value,
        'Không thuộc tỉnh (công đoàn ngành, tổng công ty)' as value_label

),

daily_by_record_dimension as (

    select
        submitted_date as date,
        dimension,
        value,
        valid,
        valid_benefit_vnd

    from by_dimension

),

daily_by_province as (

    select
        unit_daily.submitted_date as date,
        'province_2025' as dimension,
        coalesce(units.province_code_2025, 'none') as value,
        sum(unit_daily.valid) as valid,
        sum(unit_daily.valid_benefit_vnd) as valid_benefit_vnd

    from unit_daily
    inner join units
        on unit_daily.unit_code = units.unit_code
    group by
        unit_daily.submitted_date,
        coalesce(units.province_code_2025, 'none')

),

daily_values as (

    select * from daily_by_record_dimension
    union all
    select * from daily_by_province

),

zero_grid as (

    select
        dates.date,
        dimension_values.dimension,
        dimension_values.value,
        0::bigint as valid,
        0::bigint as valid_benefit_vnd

    from dates
    cross join dimension_values

),

-- a union and one aggregate instead of a three-key outer join: one plan, whatever the sizes
grid as (

    select
        date,
        dimension,
        value,
        sum(valid) as valid,
        sum(valid_benefit_vnd) as valid_benefit_vnd

    from (
        select * from zero_grid
        union all
        select daily_values.*
        from daily_values
        inner join dates
            on daily_values.date = dates.date
    ) as cells
    group by
        date,
        dimension,
        value

),

final as (

    select
        grid.date as as_of_date,
        grid.dimension,
        grid.value,
        dimension_values.value_label,
        (sum(grid.valid) over value_to_date)::bigint as valid,
        (sum(grid.valid_benefit_vnd) over value_to_date)::bigint as valid_benefit_vnd,
        grid.valid::bigint as new_valid

    from grid
    inner join dimension_values
        on grid.dimension = dimension_values.dimension
        and grid.value = dimension_values.value
    window value_to_date as (
        partition by grid.dimension, grid.value
        order by grid.date
        rows between unbounded preceding and current row
    )

)

select * from final
