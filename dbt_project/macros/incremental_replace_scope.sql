{#-
    Incremental strategy `replace_scope`: delete every existing row that falls in
    the build's scope, then insert the model's rows (which are recomputed for
    that scope). Unlike delete+insert, rows whose key vanished (a record whose
    only delivery was replaced, a duplicate link that no longer holds) are
    removed too. Configure on the model:

        replace_scope=[{'columns': ['initiative_key'], 'scope': 'int_records__status_scope'}]

    Each entry deletes the rows whose `columns` appear in the same-named columns
    (or `scope_columns`) of model `scope`. The model's output must stay inside
    the union of the entries (guarded by the unique tests and indexes).
-#}
{% macro get_incremental_replace_scope_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set scopes = config.get('replace_scope') -%}
    {%- if not scopes -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_scope' needs a replace_scope config on " ~ this) }}
    {%- endif -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    analyze {{ temp_relation }};
    {% for entry in scopes -%}
    {%- set scope_columns = entry.get('scope_columns', entry['columns']) %}
    delete from {{ target_relation }} as existing
    where ({{ entry['columns'] | join(', ') }}) in (
        select {{ scope_columns | join(', ') }}
        from {{ ref(entry['scope']) }}
    );
    {% endfor -%}
    insert into {{ target_relation }} ({{ columns_csv }})
    select {{ columns_csv }}
    from {{ temp_relation }};
{% endmacro %}
