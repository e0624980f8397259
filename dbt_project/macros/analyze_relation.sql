{#-
    Post-hook: refresh planner statistics of a freshly rebuilt table (the scope
    tables are joined against multi-million-row tables right after). Incremental
    tables are analysed only on a full refresh: ANALYZE of a big table would cost
    the same every night, whatever the night's size (autovacuum keeps them up).
-#}
{% macro analyze_relation() -%}
    {%- if model.config.materialized == 'table' or (model.config.materialized == 'incremental' and flags.FULL_REFRESH) -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
