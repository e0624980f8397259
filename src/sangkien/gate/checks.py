"""The checks of the quality gate, as code: each is a SQL query returning violating rows.

Two suites, reviewed in diffs like any code:

- `landing`: the night's landed rows in `raw` and `quality`, right after landing;
- `models`: the candidate statistics (`marts_candidate`) before they are published.

Each night checks what changed since the last publication (which passed the
gate), so that its cost follows the night, not the history: the landing suite
the deliveries loaded since then; the record checks the records the models
changed since then (and, for `duplicates_point_to_originals`, the duplicates of
those); `daily_counts_match_records` the cells those records were or are counted
in and the cells whose counts differ from the published ones. A session
with `sangkien.full_audit = on` (`sangkien rebuild`) checks everything, as does
the first night (nothing published yet).

A check is blocking unless marked otherwise. Every query returns the violating
rows with a `unit_code` column where one applies, so that a failure names the
units involved. `meta` carries the contract clauses and reason codes a check
enforces; Great Expectations stores it with the expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    #: Returns the violating rows; `{candidate}` is the schema of the candidate marts,
    #: `{published}` that of the last published ones, `{changed}` the CTE CHANGED.
    query: str
    meta: dict[str, object] = field(default_factory=dict)
    blocking: bool = True


#: The deliveries loaded since the last publication (all of them for a full audit),
#: as `recent (unit_code, delivery_id, status, ...)`: computed first (materialized),
#: then each is checked through its own partition's index.
RECENT_DELIVERIES = """recent as materialized (
    select * from quality.delivery
    where loaded_at > case
        when current_setting('sangkien.full_audit', true) = 'on' then '-infinity'::timestamptz
        else coalesce(
            (select max(decided_at) from quality.publication where published), '-infinity')
    end
)"""
#: True when the gate checks everything: a full audit, or nothing published yet.
#: (Never null: an unset setting reads as null, and `not null` would skip both plans.)
FULL_SCOPE = """(coalesce(current_setting('sangkien.full_audit', true), '') = 'on'
    or not exists (select from quality.publication where published))"""
#: The records the models changed since the last publication, for the nightly
#: branches (the full-scope branches read the tables whole instead).
CHANGED_KEYS = """(
    select initiative_key from intermediate.int_records__change_log
    where changed_at > coalesce(
        (select max(changes_through) from quality.publication where published), '-infinity')
)"""

#: `changed (initiative_key)`: CHANGED_KEYS computed once, for the nightly branches.
CHANGED = "changed as materialized (select initiative_key from {changed_keys} k)"
#: A unit's counts of one day, from its records (`count`s and `sum` of the valid benefit).
DAILY_COUNTS_OF_RECORDS = """count(*) filter (where status <> 'withdrawn') as submitted,
                      count(*) filter (where status = 'valid') as valid,
                      count(*) filter (where status = 'pending') as pending,
                      count(*) filter (where status = 'invalid') as invalid,
                      count(*) filter (where status = 'duplicate') as duplicate,
                      coalesce(sum(benefit_vnd) filter (where status = 'valid'), 0) as benefit"""
#: A duplicate `d` whose original `o` is missing, not an original, or later.
DUPLICATE_POINTS_ELSEWHERE = """d.status = 'duplicate'
             and (o.initiative_key is null or o.status not in ('valid', 'pending')
                  or o.submitted_at > d.submitted_at)"""

LANDING_CHECKS: tuple[Check, ...] = (
    Check(
        "delivery_counts_reconcile",
        "Every delivery's counts reconcile: received = published + rejected + superseded.",
        """select unit_code, business_date, delivery_id from quality.delivery
           where rows_received <> rows_published + rows_rejected + rows_superseded""",
        {"contract": "feed-v1 §4, §4a"},
    ),
    Check(
        "no_negative_delivery_counts",
        "No delivery count is negative.",
        """select unit_code, delivery_id from quality.delivery
           where least(rows_received, rows_published, rows_rejected, rows_superseded) < 0""",
        {"contract": "feed-v1 §4a"},
    ),
    Check(
        "published_rows_are_in_raw",
        "A loaded delivery's rows_published equals its rows in raw.initiative_row.",
        """with {recent_deliveries}
           select d.unit_code, d.delivery_id from recent d
           where d.status in ('loaded', 'replaced')
             and d.rows_published <> (
                 select count(*) from raw.initiative_row r
                 where r.unit_code = d.unit_code and r.delivery_id = d.delivery_id)""",
        {"contract": "feed-v1 §4a"},
    ),
    Check(
        "raw_rows_belong_to_their_delivery",
        "Every raw row's delivery exists, for the same unit and night (raw has no foreign key).",
        # Nightly: the rows of deliveries numbered after every delivery loaded before the
        # last publication (an index range per partition); a full audit reads all of raw.
        """with {recent_deliveries},
           known as materialized (
               select max(delivery_id) as last_id from quality.delivery
               where delivery_id not in (select delivery_id from recent)
           )
           select r.unit_code, r.business_date, r.delivery_id, count(*) as raw_rows
           from raw.initiative_row r
           left join quality.delivery d on d.delivery_id = r.delivery_id
           where r.delivery_id > coalesce((select last_id from known), -9223372036854775808)
             and (d.delivery_id is null or d.unit_code <> r.unit_code
                  or d.business_date <> r.business_date)
           group by r.unit_code, r.business_date, r.delivery_id""",
        {"contract": "feed-v1 §4a"},
    ),
    Check(
        "rejected_rows_are_itemised",
        "A loaded delivery's rows_rejected equals its distinct rejected lines in quality.",
        """with {recent_deliveries}
           select d.unit_code, d.delivery_id from recent d
           where d.status in ('loaded', 'replaced')
             and d.rows_rejected <> (
                 select count(distinct q.line_number) from quality.rejected_row q
                 where q.delivery_id = d.delivery_id)""",
        {
            "contract": "feed-v1 §4",
            "reason_codes": [
                "MISSING_REQUIRED",
                "BAD_ENUM",
                "BAD_DATE",
                "BAD_NUMBER",
                "TITLE_LENGTH",
                "UNIT_MISMATCH",
                "ENCODING_ERROR",
                "MALFORMED_ROW",
            ],
        },
    ),
    Check(
        "one_version_per_record_and_delivery",
        "Within a delivery a record appears once (superseded versions removed).",
        # Delivery by delivery (lateral): each reads one partition through its index.
        """with {recent_deliveries}
           select d.unit_code, d.delivery_id, v.record_id
           from recent d
           cross join lateral (
               select r.record_id from raw.initiative_row r
               where r.unit_code = d.unit_code and r.delivery_id = d.delivery_id
               group by r.record_id having count(*) > 1
           ) v""",
        {"contract": "feed-v1 §4a"},
    ),
    Check(
        "one_current_delivery_per_night",
        "At most one loaded delivery per unit and night.",
        """select unit_code, business_date from quality.delivery where status = 'loaded'
           group by unit_code, business_date having count(*) > 1""",
        {"contract": "feed-v1 §1"},
    ),
    Check(
        "no_confidential_summary_stored",
        "No confidential initiative keeps a summary.",
        """with {recent_deliveries}
           select d.unit_code, v.record_id
           from recent d
           cross join lateral (
               select r.record_id from raw.initiative_row r
               where r.unit_code = d.unit_code and r.delivery_id = d.delivery_id
                 and r.is_confidential and r.summary is not null
               offset 0  -- kept per delivery, not flattened into a scan of all of raw
           ) v""",
        {"contract": "feed-v1 §4", "warning_codes": ["CONFIDENTIAL_CONTENT"]},
    ),
    Check(
        "stored_rows_are_complete",
        "Stored (non-tombstone) rows have every required value.",
        """with {recent_deliveries}
           select d.unit_code, v.record_id
           from recent d
           cross join lateral (
               select r.record_id from raw.initiative_row r
               where r.unit_code = d.unit_code and r.delivery_id = d.delivery_id
                 and not r.is_deleted
                 and (r.title is null or r.solution_type is null or r.field is null
                      or r.participant_group is null or r.authors is null
                      or r.effect_summary is null or r.applied_on is null
                      or r.recognition_level is null or r.review_status is null
                      or r.submitted_at is null)
               offset 0
           ) v""",
        {"contract": "feed-v1 §3, §4", "reason_codes": ["MISSING_REQUIRED"]},
    ),
)


MODEL_CHECKS: tuple[Check, ...] = (
    Check(
        "initiative_keys_unique",
        "fct_initiative has one row per initiative_key.",
        # Nightly the changed keys one by one through the key's index (`lateral …
        # offset 0`: the planner cannot know the change log's slice is small);
        # a full scope in one pass.
        """with {changed}
           select min(f.unit_code) as unit_code, f.initiative_key
           from {candidate}.fct_initiative f
           where {full_scope}
           group by f.initiative_key having count(*) > 1
           union all
           select min(f.unit_code) as unit_code, c.initiative_key
           from changed c
           cross join lateral (
               select f.unit_code from {candidate}.fct_initiative f
               where f.initiative_key = c.initiative_key
               offset 0
           ) f
           where not {full_scope}
           group by c.initiative_key having count(*) > 1""",
        {"contract": "warehouse-v1 fct_initiative; feed-v1 §4a"},
    ),
    Check(
        "every_unit_on_every_date",
        "fct_unit_daily has every unit of dim_unit on every programme date, once.",
        """with expected as (
               select u.unit_code, d::date as date
               from {candidate}.dim_unit u
               cross join generate_series(date '2022-01-08', date '2023-08-31', interval '1 day') d
           ),
           actual as (select unit_code, date, count(*) as n from {candidate}.fct_unit_daily
                      group by unit_code, date)
           select coalesce(e.unit_code, a.unit_code) as unit_code, coalesce(e.date, a.date) as date
           from expected e full join actual a using (unit_code, date)
           where a.n is distinct from 1 or e.unit_code is null""",
        {"contract": "warehouse-v1 fct_unit_daily"},
    ),
    Check(
        "no_negative_daily_counts",
        "No daily count or benefit is negative.",
        """select unit_code, date from {candidate}.fct_unit_daily
           where least(submitted, valid, pending, invalid, duplicate, cumulative_submitted,
                       cumulative_valid, valid_benefit_vnd) < 0""",
        {"contract": "feed-v1 §4"},
    ),
    Check(
        "cumulative_totals_never_decrease",
        "Cumulative submitted and valid never decrease from one date to the next.",
        """select unit_code, date from (
               select unit_code, date, cumulative_submitted, cumulative_valid,
                      lag(cumulative_submitted) over w as prev_submitted,
                      lag(cumulative_valid) over w as prev_valid
               from {candidate}.fct_unit_daily
               window w as (partition by unit_code order by date)
           ) s
           where cumulative_submitted < prev_submitted or cumulative_valid < prev_valid""",
        {"contract": "feed-v1 §4"},
    ),
    Check(
        "daily_counts_match_records",
        "Daily counts per unit equal the records of fct_initiative by status and submitted date.",
        # Nightly only the cells that can have changed since the last publication
        # (which passed this check): those the changed records are and were counted
        # in, and those whose counts differ from the published ones; each cell's
        # records through the (unit_code, submitted_date) index.
        """with {changed},
           cells as materialized (
               select f.unit_code, f.submitted_date as date
               from changed c
               cross join lateral (
                   select f.unit_code, f.submitted_date from {candidate}.fct_initiative f
                   where f.initiative_key = c.initiative_key
                   offset 0
               ) f
               where not {full_scope}
               union
               select f.unit_code, f.submitted_date
               from changed c
               cross join lateral (
                   select f.unit_code, f.submitted_date from {published}.fct_initiative f
                   where f.unit_code = split_part(c.initiative_key, ':', 1)
                     and f.initiative_key = c.initiative_key
                   offset 0
               ) f
               where not {full_scope}
               union
               select unit_code, date from (
                   select unit_code, date, submitted, valid, pending, invalid, duplicate,
                          valid_benefit_vnd
                   from {candidate}.fct_unit_daily
                   except
                   select unit_code, date, submitted, valid, pending, invalid, duplicate,
                          valid_benefit_vnd
                   from {published}.fct_unit_daily
               ) differing
               where not {full_scope}
           ),
           from_records as (
               select unit_code, submitted_date as date, """
        + DAILY_COUNTS_OF_RECORDS
        + """
               from {candidate}.fct_initiative
               where {full_scope}
               group by unit_code, submitted_date
               union all
               select c.unit_code, c.date, r.*
               from cells c
               cross join lateral (
                   select """
        + DAILY_COUNTS_OF_RECORDS
        + """
                   from {candidate}.fct_initiative f
                   where f.unit_code = c.unit_code and f.submitted_date = c.date
               ) r
           ),
           in_scope as (
               select unit_code, date from {candidate}.fct_unit_daily where {full_scope}
               union all
               select unit_code, date from cells
           )
           select d.unit_code, d.date
           from in_scope s
           join {candidate}.fct_unit_daily d using (unit_code, date)
           left join from_records r using (unit_code, date)
           where (d.submitted, d.valid, d.pending, d.invalid, d.duplicate, d.valid_benefit_vnd)
                 is distinct from (coalesce(r.submitted, 0), coalesce(r.valid, 0),
                                   coalesce(r.pending, 0), coalesce(r.invalid, 0),
                                   coalesce(r.duplicate, 0), coalesce(r.benefit, 0))""",
        {"contract": "feed-v1 §4: counts by submitted date, benefit over valid records only"},
    ),
    Check(
        "records_match_raw",
        "Every record of the current deliveries is in fct_initiative, and nothing else.",
        # Two plans, one run: nightly (a few thousand changed keys) record by record
        # through the fact's and raw's indexes (`lateral … offset 0`: estimating
        # the change log's slice at a third of it, the planner hashed the whole
        # fact, a second on the full history); a full scope (a rebuild's audit,
        # the first publication) compares every current record with every fact
        # by hash joins. The condition has no column, so PostgreSQL decides it
        # once and never starts the other branch.
        """with changed as materialized (
               select initiative_key, split_part(initiative_key, ':', 1) as unit_code,
                      substr(initiative_key, strpos(initiative_key, ':') + 1) as record_id
               from {changed_keys} k
           )
           select c.unit_code, c.initiative_key
           from changed c
           left join lateral (
               select f.initiative_key from {candidate}.fct_initiative f
               where f.unit_code = c.unit_code and f.initiative_key = c.initiative_key
               offset 0
           ) f on true
           where not {full_scope}
             and (f.initiative_key is not null) <> exists (
                 select from raw.initiative_row r
                 join quality.delivery d on d.delivery_id = r.delivery_id
                 where r.unit_code = c.unit_code and r.record_id = c.record_id
                   and d.status = 'loaded')
           union all
           select coalesce(r.unit_code, f.unit_code), coalesce(r.initiative_key, f.initiative_key)
           from (
               select distinct r.unit_code, r.unit_code || ':' || r.record_id as initiative_key
               from raw.initiative_row r
               join quality.delivery d on d.delivery_id = r.delivery_id
               where {full_scope} and d.status = 'loaded'
           ) r
           full join (
               select unit_code, initiative_key from {candidate}.fct_initiative
               where {full_scope}
           ) f using (initiative_key)
           where r.initiative_key is null or f.initiative_key is null""",
        {"contract": "feed-v1 §4a"},
    ),
    Check(
        "duplicates_point_to_originals",
        "Every duplicate points to an earlier record that is not itself a duplicate.",
        # Nightly the changed records and the duplicates of changed records (an
        # original that changed can break a duplicate that did not), by index.
        """with {changed},
           suspects as materialized (
               select initiative_key from changed where not {full_scope}
               union
               select d.initiative_key
               from changed c
               cross join lateral (
                   select d.initiative_key from {candidate}.fct_initiative d
                   where d.duplicate_of_key = c.initiative_key
                   offset 0
               ) d
               where not {full_scope}
           )
           select d.unit_code, d.initiative_key
           from {candidate}.fct_initiative d
           left join {candidate}.fct_initiative o on o.initiative_key = d.duplicate_of_key
           where {full_scope} and """
        + DUPLICATE_POINTS_ELSEWHERE
        + """
           union all
           select d.unit_code, d.initiative_key
           from suspects s
           cross join lateral (
               select * from {candidate}.fct_initiative d
               where d.initiative_key = s.initiative_key
               offset 0
           ) d
           left join lateral (
               select * from {candidate}.fct_initiative o
               where o.initiative_key = d.duplicate_of_key
               offset 0
           ) o on true
           where """
        + DUPLICATE_POINTS_ELSEWHERE,
        {"contract": "feed-v1 §4 duplicates"},
    ),
    Check(
        "ranks_consistent",
        "Ranks follow competition ranking of cumulative valid; rank_change is their difference.",
        """with recomputed as (
               select as_of_date, unit_code, rank, rank_week_before, rank_change,
                      units_ranked,
                      rank() over (partition by as_of_date order by cumulative_valid desc)
                          as expected_rank,
                      count(*) over (partition by as_of_date) as expected_units
               from {candidate}.rpt_unit_ranking
           )
           select r.unit_code, r.as_of_date from recomputed r
           left join recomputed w on w.unit_code = r.unit_code
                and w.as_of_date = r.as_of_date - 7
           where r.rank <> r.expected_rank or r.units_ranked <> r.expected_units
              or r.rank_week_before is distinct from w.rank
              or r.rank_change is distinct from (w.rank - r.rank)""",
        {"contract": "warehouse-v1 ranking rule"},
    ),
    Check(
        "ranking_matches_daily",
        "The ranking's cumulative valid equals the daily facts' on every date.",
        """select r.unit_code, r.as_of_date from {candidate}.rpt_unit_ranking r
           join {candidate}.fct_unit_daily d on d.unit_code = r.unit_code and d.date = r.as_of_date
           where r.cumulative_valid <> d.cumulative_valid""",
        {"contract": "warehouse-v1 rpt_unit_ranking"},
    ),
    Check(
        "progress_matches_daily",
        "National progress equals the sum of the units' daily facts.",
        """select null::text as unit_code, p.date from {candidate}.rpt_programme_progress p
           join (select date, sum(valid) as valid, sum(cumulative_valid) as cumulative_valid
                 from {candidate}.fct_unit_daily group by date) d using (date)
           where p.new_valid <> d.valid or p.cumulative_valid <> d.cumulative_valid""",
        {"contract": "warehouse-v1 rpt_programme_progress"},
    ),
)
