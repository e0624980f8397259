{{
    config(
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key='initiative_key',
        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__touched'}],
        indexes=[
            {'columns': ['initiative_key'], 'unique': True},
            {'columns': ['match_group_key']},
        ],
    )
}}
{#-
    The programme rules that do not depend on other records (contract §4):
    `withdrawn` (latest version is a tombstone), then `invalid` with every
    reason that applies, else the unit's review (`valid` / `pending`), which
    makes the record a candidate for duplicate matching. Candidates also get
    their matching keys: normalised title, author set, exact-duplicate group
    and up to three near-duplicate blocking keys (author set + a pair of the
    title's three min-hash tokens; a title with fewer than three uncommon
    tokens gets one key: its author set alone).
-#}
-- depends_on: {{ ref('int_records__touched') }}

with

versioned as (

    select * from {{ ref('int_records__versioned') }}
    {% if is_incremental() -%}
    where initiative_key in (select initiative_key from {{ ref('int_records__touched') }})
    {%- endif %}

),

{#-
    The keys, once per record: offset 0 keeps the subquery from being merged
    into each later reference (a materialized CTE would do the same, but keeps
    the query on one core). A full build folds the author sets in parallel
    workers through the parallel-safe function of prepare_warehouse_functions
    (a correlated subquery is not parallel safe; full scale: 130 s became 72 s
    on two cores); a night's few thousand records use the same subquery
    inline, which costs less per record than a function call.
-#}
keyed as (

    select
        *,
        {{ local_date('submitted_at') }} as submitted_date,
        {{ normalise_for_matching('title') }} as title_key,
        {% if is_incremental() -%}
        {{ author_set_key('authors') }} as author_set_key
        {%- else -%}
        {{ target.schema }}.author_set_key(authors) as author_set_key
        {%- endif %}

    from versioned
    offset 0

),

checked as (

    select
        *,
        array_remove(
            array[
                case when review_status = 'invalid' then 'REVIEW_INVALID' end,
                case when recognized_by is null then 'NOT_RECOGNIZED' end,
                case
                    when applied_on < date '{{ var("application_window_start") }}'
                        or applied_on > date '{{ var("application_window_end") }}'
                        then 'APPLIED_OUT_OF_WINDOW'
                end,
                case
                    when submitted_date < date '{{ var("programme_start") }}'
                        or submitted_date > date '{{ var("programme_end") }}'
                        then 'SUBMITTED_OUT_OF_WINDOW'
                end,
                case
                    when submitted_date > attributes_business_date then 'SUBMITTED_IN_FUTURE'
                end
            ]::text[],
            null
        ) as rule_failures

    from keyed

),

classified as (

    select
        *,
        case
            when is_deleted then 'withdrawn'
            when cardinality(rule_failures) > 0 then 'invalid'
            else review_status
        end as rule_status

    from checked

),

final as (

    select
        initiative_key,
        unit_code,
        record_id,
        submitted_at,
        submitted_date,
        rule_status,
        case when rule_status = 'invalid' then array_to_string(rule_failures, ',') end as invalid_reasons,
        rule_status in ('valid', 'pending') as is_match_candidate,
        case when rule_status in ('valid', 'pending') then title_key end as title_key,
        case
            when rule_status in ('valid', 'pending')
                then {{ match_group_key('title_key', 'author_set_key') }}
        end as match_group_key,
        {%- for first, second in [(1, 2), (1, 3), (2, 3)] %}
        case
            when rule_status in ('valid', 'pending') and coalesce(cardinality(block_tokens), 0) >= {{ second }}
                then md5(author_set_key || '|' || block_tokens[{{ first }}] || ' ' || block_tokens[{{ second }}])
            {%- if loop.first %}
            when rule_status in ('valid', 'pending')
                then md5(author_set_key || '|')
            {%- endif %}
        end as block_key_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}

    from classified
    cross join lateral (
        select {{ title_block_tokens('title_key') }} as block_tokens
        offset 0
    ) as blocking

)

select * from final
