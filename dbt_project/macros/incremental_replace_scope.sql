{#-
    Incremental strategy `replace_scope`: the rows that fall in the build's scope
    are replaced by the model's rows (which are recomputed for that scope).
    Unlike delete+insert, rows whose key vanished (a record whose only delivery
    was replaced, a duplicate link that no longer holds) are removed too.
    Configure on the model:

        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}]

    Each entry covers the rows whose `columns` appear in the same-named columns
    (or `scope_columns`) of model `scope`. The model's output must stay inside
    the union of the entries (guarded by the unique tests and indexes).

    A row the build reproduces exactly is left where it is: only rows that
    changed or vanished are deleted, and only rows not already there inserted.
    A night's scope is mostly rows that come out the same (a recounted cell, a
    record re-judged with its match group), and leaving them spares their heap
    and index writes, scattered over tables of millions of rows.
-#}
{% macro get_incremental_replace_scope_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set scopes = config.get('replace_scope') -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- if not scopes or not unique_key -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_scope' needs replace_scope and unique_key configs on " ~ this) }}
    {%- endif -%}
    {%- set key = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = [] -%}
    {%- for column in arg_dict['dest_columns'] -%}
        {%- do columns.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- set columns_csv = columns | join(', ') -%}
    analyze {{ temp_relation }};
    {% for entry in scopes -%}
    {%- set scope_columns = entry.get('scope_columns', entry['columns']) %}
    delete from {{ target_relation }} as existing
    where ({{ entry['columns'] | join(', ') }}) in (
        select {{ scope_columns | join(', ') }}
        from {{ ref(entry['scope']) }}
    )
    and not exists (
        select from {{ temp_relation }} as fresh
        where {{ replace_scope_same_row(key, columns) }}
    );
    {% endfor -%}
    insert into {{ target_relation }} ({{ columns_csv }})
    select {{ columns_csv }}
    from {{ temp_relation }} as fresh
    where not exists (
        select from {{ target_relation }} as existing
        where {{ replace_scope_same_row(key, columns) }}
    );
{% endmacro %}


{#- `existing` and `fresh` hold the same row: equal keys (a hash or index join),
    then every column alike, nulls included. A key with a null never matches, so
    such a row is simply replaced, as before. -#}
{% macro replace_scope_same_row(key, columns) -%}
    {% for k in key %}existing.{{ k }} = fresh.{{ k }} and {% endfor %}
        ({% for c in columns %}existing.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
        is not distinct from ({% for c in columns %}fresh.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
