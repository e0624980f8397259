{#-
    Data tests on the multi-million-row incremental tables check the rows this
    build rebuilt (on a first build or a full refresh: every row); their keys
    are also enforced table-wide by unique indexes. Such a test says so with a
    `where` config naming a scope token:

        __touched_records__   records with a version in a changed delivery
        __status_scope__      records whose status was recomputed
        __status_scope_links__ duplicate links of those records
        __changed_cells__     (unit, submitted date) cells recomputed

    Any other `where` is used as written (dbt's default behaviour).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set scope_schema = 'intermediate' -%}
        {%- set touched = api.Relation.create(database=target.database, schema=scope_schema, identifier='int_records__touched') -%}
        {%- set status_scope = api.Relation.create(database=target.database, schema=scope_schema, identifier='int_records__status_scope') -%}
        {%- set changed_cells = api.Relation.create(database=target.database, schema=scope_schema, identifier='int_unit_daily__changed_cells') -%}
        {%- set tokens = {
            '__touched_records__': 'initiative_key in (select initiative_key from ' ~ touched ~ ')',
            '__status_scope_links__': '(initiative_key in (select initiative_key from ' ~ status_scope ~ ') or duplicate_of_key in (select initiative_key from ' ~ status_scope ~ '))',
            '__status_scope__': 'initiative_key in (select initiative_key from ' ~ status_scope ~ ')',
            '__changed_cells__': '(unit_code, submitted_date) in (select unit_code, submitted_date from ' ~ changed_cells ~ ')',
        } -%}
        {%- set resolved = namespace(where=where) -%}
        {%- for token, predicate in tokens.items() -%}
            {%- set resolved.where = resolved.where | replace(token, predicate) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ resolved.where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
