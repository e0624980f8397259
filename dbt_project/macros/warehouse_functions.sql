{#-
    Run once at the start of every dbt invocation (on-run-start).

    1. Try to enable pg_trgm (`sangkien db bootstrap` enables it as the
       administrator; the transformer usually may not, and servers without
       contrib have none: then the build goes on with the SQL functions below).
    2. Create `title_trigrams(text)` and `title_trigram_similarity(text, text)`
       in the target schema: a pure-SQL twin of pg_trgm's `similarity()` for
       the ASCII keys built by `normalise_for_matching` (each word padded with
       two spaces before and one after, distinct trigrams, shared / union).
       For those keys both give the same number (tested).
    3. Create `author_set_key(text)`: the macro of text_normalisation.sql
       as a parallel-safe function, for full builds (int_records__classified).
-#}
{% macro prepare_warehouse_functions() %}
    {#- The schema exists (`sangkien db bootstrap`): the transformer may not create schemas. #}
    {% if var('near_duplicate_similarity') in ('auto', 'pg_trgm') %}
    do $enable$
    begin
        create extension if not exists pg_trgm;
    exception when others then
        raise notice 'pg_trgm is not available (%): near-duplicate matching uses SQL trigrams', sqlerrm;
    end
    $enable$;
    {% endif %}
    create or replace function {{ target.schema }}.title_trigrams(title text)
    returns text[]
    language sql immutable strict parallel safe
    as $function$
        select coalesce(array_agg(distinct substr('  ' || word || ' ', position, 3)), '{}')
        from regexp_split_to_table(title, '[^a-z0-9]+') as word
        cross join lateral generate_series(1, length(word) + 1) as position
        where word <> ''
    $function$;
    create or replace function {{ target.schema }}.title_trigram_similarity(left_title text, right_title text)
    returns real
    language sql immutable strict parallel safe
    as $function$
        with grams as (
            select
                {{ target.schema }}.title_trigrams(left_title) as left_grams,
                {{ target.schema }}.title_trigrams(right_title) as right_grams
        ),

        counted as (
            select
                cardinality(left_grams) as left_count,
                cardinality(right_grams) as right_count,
                cardinality(array(
                    select unnest(left_grams) intersect select unnest(right_grams)
                )) as shared_count
            from grams
        )

        select
            case
                when left_count = 0 or right_count = 0 then 0::real
                else shared_count::real / (left_count + right_count - shared_count)::real
            end
        from counted
    $function$;
    create or replace function {{ target.schema }}.author_set_key(authors text)
    returns text
    language sql immutable strict parallel safe
    as $function$
        select {{ author_set_key('authors') }}
    $function$;
{% endmacro %}

{#- The similarity function to call: pg_trgm's when enabled (and allowed), else the SQL twin. -#}
{% macro title_similarity(left_title, right_title) -%}
    {%- set mode = var('near_duplicate_similarity') -%}
    {%- set trgm_schema = none -%}
    {%- if execute and mode in ('auto', 'pg_trgm') -%}
        {%- set found = run_query(
            "select n.nspname from pg_extension as e join pg_namespace as n on n.oid = e.extnamespace where e.extname = 'pg_trgm'"
        ) -%}
        {%- if found.rows | length > 0 -%}
            {%- set trgm_schema = found.rows[0][0] -%}
        {%- elif mode == 'pg_trgm' -%}
            {{ exceptions.raise_compiler_error("near_duplicate_similarity is 'pg_trgm' but the extension is not enabled") }}
        {%- endif -%}
    {%- endif -%}
    {%- if trgm_schema is not none -%}
        {{ adapter.quote(trgm_schema) }}.similarity({{ left_title }}, {{ right_title }})
    {%- else -%}
        {{ target.schema }}.title_trigram_similarity({{ left_title }}, {{ right_title }})
    {%- endif -%}
{%- endmacro %}
