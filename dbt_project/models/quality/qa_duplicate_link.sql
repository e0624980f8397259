{{
    config(
        alias='duplicate_link',
        materialized='incremental',
        incremental_strategy='replace_scope',
        unique_key=['initiative_key', 'duplicate_of_key'],
        replace_scope=[
            {'columns': ['initiative_key'], 'scope': 'int_records__status_scope'},
            {'columns': ['duplicate_of_key'], 'scope': 'int_records__status_scope', 'scope_columns': ['initiative_key']},
        ],
        indexes=[
            {'columns': ['initiative_key', 'duplicate_of_key'], 'unique': True},
            {'columns': ['duplicate_of_key']},
        ],
    )
}}
{#-
    One row per duplicate pair, from the later record to the earlier one:
    `exact` / `cross_unit` for the records counted as duplicates (similarity 1),
    `suspected` for near-identical titles with the same author set among the
    records that are not duplicates (typo, swapped words): listed for review,
    never counted differently. Candidate pairs share a blocking key (author
    set + a pair of min-hash title tokens, int_records__classified); the score is trigram similarity of the
    normalised titles (pg_trgm when enabled, its SQL twin otherwise), kept when
    at or above var('near_duplicate_threshold').
-#}
-- depends_on: {{ ref('int_records__status_scope') }}

with

deduplicated as not materialized (

    select * from {{ ref('int_records__deduplicated') }}

),

{% if is_incremental() -%}
status_scope as (

    select initiative_key from {{ ref('int_records__status_scope') }}

),
{%- endif %}

exact_links as (

    select
        deduplicated.initiative_key,
        deduplicated.duplicate_of_key,
        deduplicated.duplicate_kind as kind,
        1.0::numeric(5, 4) as similarity

    from deduplicated
    {% if is_incremental() -%}
    inner join status_scope
        on deduplicated.initiative_key = status_scope.initiative_key
    {%- endif %}
    where deduplicated.status = 'duplicate'

),

originals as not materialized (

    select
        initiative_key,
        unit_code,
        record_id,
        submitted_at,
        title_key,
        block_key_1,
        block_key_2,
        block_key_3

    from deduplicated
    where status in ('valid', 'pending')
        and block_key_1 is not null

),

{#- What each candidate pair carries, whichever way it is found. -#}
{%- set pair_columns -%}
probes.initiative_key as probe_key,
        probes.submitted_at as probe_submitted_at,
        probes.unit_code as probe_unit_code,
        probes.record_id as probe_record_id,
        probes.title_key as probe_title_key,
        candidates.initiative_key as candidate_key,
        candidates.submitted_at as candidate_submitted_at,
        candidates.unit_code as candidate_unit_code,
        candidates.record_id as candidate_record_id,
        candidates.title_key as candidate_title_key
{%- endset %}

{% if is_incremental() -%}
probes as (

    select originals.*
    from originals
    inner join status_scope
        on originals.initiative_key = status_scope.initiative_key

),

-- Each probe's candidates through the block-key indexes: any of its keys
-- against any of a candidate's.
blocked_pairs as (

    {% set block_columns = ['block_key_1', 'block_key_2', 'block_key_3'] -%}
    {% set column_pairs = [] -%}
    {% for probe_column in block_columns -%}
    {% for candidate_column in block_columns -%}
    {% do column_pairs.append((probe_column, candidate_column)) -%}
    {% endfor -%}
    {% endfor -%}
    {% for probe_column, candidate_column in column_pairs -%}
    select
        {{ pair_columns }}

    from probes
    inner join originals as candidates
        on probes.{{ probe_column }} = candidates.{{ candidate_column }}
    where probes.initiative_key <> candidates.initiative_key
    {% if not loop.last %}
    union
    {% endif %}
    {% endfor %}
),
{%- else -%}
-- Everything is probed: the nine key-against-key joins are one self-join of
-- the records' block keys, each unordered pair kept once before it is scored
-- (at full scale 1.0 M pairs scored instead of about 4 M: 49 s became 35 s).
block_entries as (

    select
        originals.initiative_key,
        block.block_key

    from originals
    cross join lateral (
        values (originals.block_key_1), (originals.block_key_2), (originals.block_key_3)
    ) as block (block_key)
    where block.block_key is not null

),

key_pairs as (

    select distinct
        probe.initiative_key as probe_key,
        candidate.initiative_key as candidate_key

    from block_entries as probe
    inner join block_entries as candidate
        on probe.block_key = candidate.block_key
    where probe.initiative_key < candidate.initiative_key

),

blocked_pairs as (

    select
        {{ pair_columns }}

    from key_pairs
    inner join originals as probes
        on key_pairs.probe_key = probes.initiative_key
    inner join originals as candidates
        on key_pairs.candidate_key = candidates.initiative_key

),
{%- endif %}

ordered_pairs as (

    select distinct
        case when probe_is_later then probe_key else candidate_key end as initiative_key,
        case when probe_is_later then candidate_key else probe_key end as duplicate_of_key,
        case when probe_is_later then probe_title_key else candidate_title_key end as later_title_key,
        case when probe_is_later then candidate_title_key else probe_title_key end as earlier_title_key

    from blocked_pairs
    cross join lateral (
        select
            (probe_submitted_at, probe_unit_code collate "C", probe_record_id collate "C")
            > (candidate_submitted_at, candidate_unit_code collate "C", candidate_record_id collate "C")
            as probe_is_later
    ) as ordering

),

scored_pairs as (

    select
        initiative_key,
        duplicate_of_key,
        round(
            ({{ title_similarity('later_title_key', 'earlier_title_key') }})::numeric, 4
        )::numeric(5, 4) as similarity

    from ordered_pairs

),

suspected_links as (

    select
        initiative_key,
        duplicate_of_key,
        'suspected' as kind,
        similarity

    from scored_pairs
    where similarity >= {{ var('near_duplicate_threshold') }}

),

final as (

    select * from exact_links
    union all
    select * from suspected_links

)

select * from final
