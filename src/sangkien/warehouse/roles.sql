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

-- No JIT for anyone's session (the pipeline's sets it off itself): the published
-- fact has a partition per unit, and an analyst's join on it is planned at a cost
-- that makes PostgreSQL compile its 82 branches first. A query listing the
-- duplicate links with both titles took 6.6-8.0 s with JIT and 1.5 s without.
-- Left as it was where the administrator does not own the database.
do $$
begin
    execute format('alter database %I set jit = off', current_database());
exception when insufficient_privilege then
    raise notice 'jit stays on: % does not own this database', current_user;
end
$$;

create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
-- dbt builds the published models here; the gate audits them before `marts`.
create schema if not exists marts_candidate;
-- The partitions of the published tables partitioned by unit (read through their
-- parent in `marts`, whose grants apply).
create schema if not exists marts_partitions;

-- Near-duplicate titles use pg_trgm where the server has it (dbt falls back to SQL).
do $$
begin
    create extension if not exists pg_trgm;
exception when others then
    raise notice 'pg_trgm is not available: %', sqlerrm;
end
$$;

-- Nobody reads or writes by default.
revoke all on schema raw, quality, restricted, staging, intermediate, marts, marts_candidate,
    marts_partitions from public;

-- The loader lands feeds: raw and the delivery bookkeeping in quality.
grant usage on schema raw, quality to sangkien_loader;
grant select, insert, update, delete on all tables in schema raw to sangkien_loader;
grant execute on function raw.analyze_unit_rows(text), raw.defer_record_index(),
    raw.build_record_index() to sangkien_loader;
grant select, insert, update, delete on quality.rejected_row, quality.warning,
    quality.night_outcome to sangkien_loader;
-- A delivery is never deleted: its raw rows (no foreign key, schema.sql) would lose it.
grant select, insert, update on quality.delivery to sangkien_loader;
revoke delete on quality.delivery from sangkien_loader;
grant usage, select on all sequences in schema quality to sangkien_loader;
grant select on quality.bootstrap to sangkien_loader, sangkien_transformer, sangkien_reporter;

-- The transformer (dbt) reads what was landed and owns every model it builds.
grant usage on schema raw to sangkien_transformer;
grant select on all tables in schema raw to sangkien_transformer;
grant usage, create on schema quality, staging, intermediate, marts, marts_candidate,
    marts_partitions, restricted to sangkien_transformer;
grant select on all tables in schema quality to sangkien_transformer;

-- Analysts and the report writer read the published statistics and quality.
grant usage on schema marts, quality to sangkien_analyst, sangkien_reporter;
grant select on all tables in schema marts, quality to sangkien_analyst, sangkien_reporter;
-- ... including the tables dbt and the publisher create later (publication re-grants too).
alter default privileges for role sangkien_transformer in schema marts, quality
    grant select on tables to sangkien_analyst, sangkien_reporter;

-- What dbt and the publisher made before they worked as the transformer role
-- belongs to the login that ran them: hand it over, so the next build may replace it.
do $$
declare
    item record;
begin
    for item in
        select c.oid::regclass as name,
            case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end
                as kind
        from pg_class as c
        inner join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm')
            and c.relispartition is false
            and pg_get_userbyid(c.relowner) <> 'sangkien_transformer'
            and (
                n.nspname in ('staging', 'intermediate', 'marts', 'marts_candidate', 'restricted')
                or (n.nspname = 'quality'
                    and c.relname in ('unit_freshness', 'duplicate_link'))
            )
    loop
        execute format('alter %s %s owner to sangkien_transformer', item.kind, item.name);
    end loop;
    for item in
        select p.oid::regprocedure as name
        from pg_proc as p
        inner join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = 'intermediate' and pg_get_userbyid(p.proowner) <> 'sangkien_transformer'
    loop
        execute format('alter function %s owner to sangkien_transformer', item.name);
    end loop;
end
$$;
