{#-
    The (unit, author) pairs whose participant counts this build recomputes:
    the authors of the status scope's records before this build (read from
    `int_records__authors` as the previous build left it, so this model runs
    first) and after it, plus the pairs of a previous build that did not finish
    (its recount may not have happened). Empty on a first build or a full
    refresh, when `int_unit_authors__counts` is rebuilt whole.
-#}
{%- set previous_authors = previous_build_relation('int_records__authors', this.schema) -%}
{%- set previous_pairs = previous_build_relation(this.identifier, this.schema) -%}
{%- set processed = previous_build_relation('int_deliveries__processed', this.schema) -%}
{%- set incremental = previous_authors is not none and processed is not none and not flags.FULL_REFRESH -%}
{%- set carries = incremental and previous_pairs is not none
    and 'built_at' in (adapter.get_columns_in_relation(processed) | map(attribute='name') | list) -%}
-- depends_on: {{ ref('int_records__status_scope') }}
-- depends_on: {{ ref('fct_initiative') }}

with

{% if incremental -%}
-- The status scope is read in each branch (not as a shared CTE, which PostgreSQL
-- would materialise without statistics) so that each is a few thousand index probes.
authors_before as (

    select unit_code, author_key from {{ previous_authors }}
    where initiative_key in (select initiative_key from {{ ref('int_records__status_scope') }})

),

authors_after as (

    select initiatives.unit_code, author_key
    from {{ ref('fct_initiative') }} as initiatives
    cross join lateral unnest(string_to_array(initiatives.author_keys, ';')) as author_key
    where initiatives.initiative_key in (
        select initiative_key from {{ ref('int_records__status_scope') }}
    )

),

unfinished as (

    {% if carries -%}
    select unit_code, author_key from {{ previous_pairs }}
    where built_at > (select max(built_at) from {{ processed }})
    {%- else -%}
    select null::text as unit_code, null::text as author_key
    where false
    {%- endif %}

),

pairs as (

    select unit_code, author_key from authors_before
    union
    select unit_code, author_key from authors_after
    union
    select unit_code, author_key from unfinished

),
{%- else -%}
pairs as (

    select null::text as unit_code, null::text as author_key
    where false

),
{%- endif %}

final as (

    select
        unit_code,
        author_key,
        '{{ run_started_at.isoformat() }}'::timestamptz as built_at

    from pairs

)

select * from final
