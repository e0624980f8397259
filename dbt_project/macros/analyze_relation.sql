{#-
    Post-hook: refresh planner statistics of a freshly rebuilt table (the scope
    tables are joined against multi-million-row tables right after). An
    incremental table is analysed on a full refresh and when it has never been
    analysed (just created); otherwise not — ANALYZE of a big table would cost
    the same every night whatever the night's size (autovacuum keeps it up).
-#}
{% macro analyze_relation() -%}
    {%- if model.config.materialized == 'table' or (model.config.materialized == 'incremental' and flags.FULL_REFRESH) -%}
        analyze {{ this }}
    {%- elif model.config.materialized == 'incremental' -%}
        do $analyze$
        begin
            if (select c.reltuples from pg_class as c where c.oid = '{{ this.schema }}.{{ this.identifier }}'::regclass) < 0 then
                execute 'analyze {{ this.schema }}.{{ this.identifier }}';
            end if;
        end
        $analyze$
    {%- endif -%}
{%- endmacro %}
