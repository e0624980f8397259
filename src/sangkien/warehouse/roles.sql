-- The contract's roles (warehouse-v1): group roles without login, least privilege.
-- Logins (the pipeline's, each provincial analyst's) are granted these roles.
-- Idempotent; applied by `sangkien db bootstrap` as a role that may create roles.

do $$
declare
    role_name text;
begin
    foreach role_name in array array[
        'sangkien_loader', 'sangkien_transformer', 'sangkien_analyst', 'sangkien_reporter'
    ] loop
        if not exists (select from pg_roles where rolname = role_name) then
            execute format('create role %I nologin', role_name);
        end if;
    end loop;
end
$$;

create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;

-- Nobody reads or writes by default.
revoke all on schema raw, quality, restricted, staging, intermediate, marts from public;

-- The loader lands feeds: raw and the delivery bookkeeping in quality.
grant usage on schema raw, quality to sangkien_loader;
grant select, insert, update, delete on all tables in schema raw to sangkien_loader;
grant select, insert, update, delete on quality.delivery, quality.rejected_row,
    quality.warning, quality.night_outcome to sangkien_loader;
grant usage, select on all sequences in schema quality to sangkien_loader;

-- The transformer (dbt) reads what was landed and owns every model it builds.
grant usage on schema raw to sangkien_transformer;
grant select on all tables in schema raw to sangkien_transformer;
grant usage, create on schema quality, staging, intermediate, marts, restricted
    to sangkien_transformer;
grant select on all tables in schema quality to sangkien_transformer;

-- Analysts and the report writer read the published statistics and quality.
grant usage on schema marts, quality to sangkien_analyst, sangkien_reporter;
grant select on all tables in schema marts, quality to sangkien_analyst, sangkien_reporter;
