-- Tables of the operations layer: alerts. (`quality.unit_freshness` is a dbt model,
-- derived from the current deliveries: dbt_project/models/quality/qa_unit_freshness.sql.)
-- Idempotent (it creates only what is missing); `ensure_operations_schema` applies it
-- when its text changed (hash in quality.bootstrap). The loader's tables are in
-- warehouse/schema.sql.

create schema if not exists quality;

-- Every alert raised, one row per (night, kind, unit); what was sent and where.
create table if not exists quality.alert (
    alert_id bigint generated always as identity primary key,
    business_date date not null,
    kind text not null check (kind in (
        'missed_delivery', 'volume_jump', 'volume_collapse', 'delivery_incomplete',
        'unit_failed', 'night_failed', 'gate_blocked'
    )),
    unit_code text,
    message text not null,
    details jsonb not null default '{}',
    raised_at timestamptz not null default now(),
    -- When at least one channel accepted it (null: not sent yet, retried on rerun).
    sent_at timestamptz,
    channels text[] not null default '{}'
);
create unique index if not exists alert_night_kind_unit_uq
    on quality.alert (business_date, kind, coalesce(unit_code, ''));

-- The gate's decisions (read by `status`, and by the gate to scope its checks to
-- what changed since the last publication).
create table if not exists quality.publication (
    publication_id bigint generated always as identity primary key,
    business_date date not null,
    published boolean not null,
    failed_checks text[] not null default '{}',
    units_involved text[] not null default '{}',
    message text,
    -- The change-log watermark this publication brought marts up to.
    changes_through timestamptz,
    decided_at timestamptz not null default now()
);

-- The contract's readers see quality; the loader (a night's outcomes) and the
-- transformer (the gate's decisions) write the alerts.
-- (Tables created after roles.sql ran are not covered by its "all tables" grants.)
do $$
begin
    if exists (select from pg_roles where rolname = 'sangkien_loader') then
        grant select, insert, update on quality.alert
            to sangkien_loader;
        grant usage, select on sequence quality.alert_alert_id_seq to sangkien_loader;
    end if;
    if exists (select from pg_roles where rolname = 'sangkien_transformer') then
        grant select, insert on quality.publication to sangkien_transformer;
        grant usage, select on sequence quality.publication_publication_id_seq
            to sangkien_transformer;
        grant select, insert, update on quality.alert to sangkien_transformer;
        grant usage, select on sequence quality.alert_alert_id_seq to sangkien_transformer;
    end if;
    if exists (select from pg_roles where rolname = 'sangkien_analyst') then
        grant select on quality.alert, quality.publication to sangkien_analyst;
    end if;
    if exists (select from pg_roles where rolname = 'sangkien_reporter') then
        grant select on quality.alert, quality.publication to sangkien_reporter;
    end if;
end
$$;
