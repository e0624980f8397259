{#-
    The relation of a model of this project as the *previous* build left it,
    or none. Used only by `int_deliveries__changed` to read the state recorded
    by `int_deliveries__processed`, which runs last: a `ref` would be a cycle.
-#}
{% macro previous_build_relation(model_name, schema_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema_name, identifier=model_name)) }}
{%- endmacro %}
