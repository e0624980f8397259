-- Schemas and tables the loader owns (raw, quality); dbt owns the rest.
-- Idempotent: run on every start, it creates only what is missing.

create schema if not exists raw;
create schema if not exists quality;
create schema if not exists restricted;

comment on schema raw is 'Landed rows as delivered (decoded, NFC, parsed to contract types); loader and transformer only.';
comment on schema quality is 'Deliveries, rejected rows, warnings, duplicate links and check results.';

create table if not exists quality.delivery (
    delivery_id bigint generated always as identity primary key,
    unit_code text not null,
    business_date date not null,
    transport text not null check (transport in ('file', 'http')),
    file_name text,
    file_format text,
    encoding text,
    sha256 text,
    -- Data file hash plus the manifest's content: what "the bytes changed" means.
    fingerprint text not null,
    file_size bigint,
    file_mtime_ns bigint,
    manifest_mtime_ns bigint,
    has_manifest boolean not null,
    manifest_row_count integer,
    rows_received integer not null default 0,
    rows_published integer not null default 0,
    rows_rejected integer not null default 0,
    rows_superseded integer not null default 0,
    status text not null check (status in ('loaded', 'replaced', 'incomplete', 'failed')),
    status_detail text,
    received_at timestamptz,
    loaded_at timestamptz not null default now(),
    replaced_at timestamptz,
    constraint delivery_counts_reconcile check (
        rows_received = rows_published + rows_rejected + rows_superseded
    )
);
-- At most one current delivery per unit and night.
create unique index if not exists delivery_current_uq
    on quality.delivery (unit_code, business_date) where status = 'loaded';
create index if not exists delivery_unit_date_idx on quality.delivery (unit_code, business_date, delivery_id);
-- Who landed it: the loader's role (the pipeline never lands as a superuser).
alter table quality.delivery add column if not exists loaded_by text not null default current_user;

create table if not exists quality.rejected_row (
    delivery_id bigint not null references quality.delivery (delivery_id),
    unit_code text not null,
    line_number integer not null,
    record_id text,
    reason_code text not null check (reason_code in (
        'MISSING_REQUIRED', 'BAD_ENUM', 'BAD_DATE', 'BAD_NUMBER', 'TITLE_LENGTH',
        'UNIT_MISMATCH', 'ENCODING_ERROR', 'MALFORMED_ROW'
    )),
    reason_detail text
);
create index if not exists rejected_row_delivery_idx on quality.rejected_row (delivery_id);

create table if not exists quality.warning (
    delivery_id bigint not null references quality.delivery (delivery_id),
    unit_code text not null,
    line_number integer,
    warning_code text not null check (warning_code in (
        'NO_MANIFEST', 'UNKNOWN_COLUMN', 'CONFIDENTIAL_CONTENT'
    )),
    detail text
);
create index if not exists warning_delivery_idx on quality.warning (delivery_id);

-- One row per unit and run date: what the night did for that unit (the summary task).
create table if not exists quality.night_outcome (
    business_date date not null,
    unit_code text not null,
    outcome text not null check (outcome in (
        'loaded', 'unchanged', 'no_delivery', 'incomplete', 'failed'
    )),
    deliveries_loaded integer not null default 0,
    rows_received integer not null default 0,
    rows_published integer not null default 0,
    rows_rejected integer not null default 0,
    detail text,
    recorded_at timestamptz not null default now(),
    primary key (business_date, unit_code)
);

create table if not exists raw.initiative_row (
    delivery_id bigint not null,
    unit_code text not null,
    business_date date not null,
    line_number integer not null,
    record_id text not null,
    grassroots_union text,
    title text,
    solution_type text,
    field text,
    participant_group text,
    authors text,
    author_ids text,
    summary text,
    effect_summary text,
    benefit_vnd bigint,
    applied_on date,
    recognized_by text,
    recognition_level text,
    award text,
    is_confidential boolean not null,
    review_status text,
    submitted_at timestamptz,
    updated_at timestamptz,
    is_deleted boolean not null
) partition by list (unit_code);
-- One partition per reporting unit (made by the bootstrap from the reference data)
-- and a default one: a unit's task writes, supersedes and is read in its own
-- partition, and the replay's streams never share an index (docs/scaling.md).
-- A warehouse made before partitioning keeps its plain table; both work.
-- Keyed pseudonyms of the authors (sangkien.feeds.pseudonyms): no key in the database.
alter table raw.initiative_row add column if not exists author_keys text;
create index if not exists initiative_row_delivery_idx on raw.initiative_row (delivery_id);
-- The (unit_code, record_id) index: raw.build_record_index, below.
-- No foreign key to quality.delivery: PostgreSQL checks one row at a time (a query
-- and a row lock per raw row), a sixth of a replay's landing, for rows the loader
-- writes in the transaction that creates their delivery. The landing gate checks
-- that every raw row belongs to its delivery (raw_rows_belong_to_their_delivery),
-- and the loader may not delete a delivery (roles.sql).
alter table raw.initiative_row drop constraint if exists initiative_row_delivery_id_fkey;

-- A replay lands millions of rows faster than autovacuum analyses them, and the
-- checks and the full build that follow plan against the partitions' statistics
-- (without them, a landing check probed a whole partition per delivery: 46 s for
-- 2 s). Only an owner may analyse; the loader asks through this function, which
-- analyses the unit's partition (or the table, where raw is not partitioned).
create or replace function raw.analyze_unit_rows(unit text) returns void
    language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
declare
    target regclass := to_regclass(format('raw.%I', 'initiative_row_' || lower(unit)));
begin
    if target is null then
        target := case
            when (select relkind from pg_class where oid = 'raw.initiative_row'::regclass) = 'p'
                then 'raw.initiative_row_default'::regclass
            else 'raw.initiative_row'::regclass
        end;
    end if;
    execute format('analyze %s', target);
end
$$;
revoke all on function raw.analyze_unit_rows(text) from public;

-- A replay into an empty warehouse lands millions of rows; keeping the record index
-- up to date row by row cost a fifth of its landing, and one build afterwards costs
-- a few seconds. Nothing reads raw by record during a replay's landing (a delivery's
-- superseded rows are found through its delivery_id). The loader asks through these
-- functions: the first drops the index only while raw holds no row, the second
-- builds it when it is missing (after the replay, and at every night's and replay's
-- start: a replay killed before its end left it missing).
create or replace function raw.build_record_index() returns void
    language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
begin
    if to_regclass('raw.initiative_row_record_idx') is not null then
        return;  -- every night: no lock taken
    end if;
    -- Two builders at once (a night's prepare, a replay's end) would both create it.
    perform pg_advisory_xact_lock(hashtext('sangkien-record-index'));
    if to_regclass('raw.initiative_row_record_idx') is null then
        create index initiative_row_record_idx on raw.initiative_row (unit_code, record_id);
    end if;
end
$$;
create or replace function raw.defer_record_index() returns boolean
    language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_advisory_xact_lock(hashtext('sangkien-record-index'));
    -- Locked before looking: a delivery landing meanwhile is then either committed
    -- (seen, the index stays) or waits for the drop.
    lock table raw.initiative_row in access exclusive mode;
    if exists (select from raw.initiative_row) then
        return false;
    end if;
    drop index if exists raw.initiative_row_record_idx;
    return true;
end
$$;
revoke all on function raw.defer_record_index(), raw.build_record_index() from public;
select raw.build_record_index();
