"""The rows that carry a record's versions.

`RecordMaker` turns a record's base content (`content`) into the row a unit delivers
for a given version (first submission, review update, edit, re-send, tombstone),
applying the day schedule (duplicate kind, anomaly, review status) and the unit's
formatting habits, and planting the deliberate defect of a first row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .content import Content, content, record_id
from .defects import plant_defect
from .duplicates import exact_variant, near_variant
from .formatting import format_benefit, format_date, format_time, odd_case, submitted_date
from .lifecycle import (
    A_APPLIED_OUT,
    A_CONFIDENTIAL,
    A_CONFIDENTIAL_CONTENT,
    A_FUTURE,
    A_NOT_RECOGNIZED,
    A_SUBMITTED_OUT,
    ANOMALY_NAMES,
    CROSS_DUP,
    EV_WITHDRAW,
    EXACT_DUP,
    NEAR_DUP,
    NORMAL,
    R_PENDING,
    DaySchedule,
    ScheduleCache,
)
from .profiles import Profile, profile
from .reference import Unit, load_units
from .rng import Rng
from .rows import Row
from .volumes import PHASE1_END, PROGRAMME_START, unit_share

CONFIDENTIAL_MARKER = "MẬT-KHÔNG-LƯU"  # planted in summaries that must never be stored


class RecordMaker:
    """Builds rows for the records of one unit (and looks up duplicate sources)."""

    def __init__(self, seed: int, unit: Unit, schedules: ScheduleCache) -> None:
        self.seed = seed
        self.unit = unit
        self.code = unit.code
        self.prof: Profile = profile(unit.code)
        self.schedules = schedules
        codes = [u for u in load_units() if u.code != unit.code]
        # Cross-unit duplicates: a sector/corporation union and a province count the same
        # enterprise worker's initiative; the partner is drawn from the other side.
        if unit.is_province:
            self._partners = [u for u in codes if not u.is_province]
        else:
            self._partners = [u for u in codes if u.is_province]
        self._partner_weights = [unit_share(u.code, PHASE1_END) for u in self._partners]

    # -- sources of duplicates --

    def _source(self, sched: DaySchedule, index: int, rng: Rng) -> tuple[Unit, date, int] | None:
        """An earlier normal record this one duplicates (same unit, or the other side)."""
        kind = sched.kinds[index]
        for _ in range(4):
            if kind == CROSS_DUP:
                src_unit = rng.choices(self._partners, weights=self._partner_weights)[0]
                back = rng.randrange(0, 21)
            else:
                src_unit = self.unit
                back = rng.randrange(0, 31)
            src_day = sched.day - timedelta(days=back)
            if src_day < PROGRAMME_START:
                continue
            src = self.schedules.get(src_unit.code, src_day)
            if not src.count:
                continue
            src_index = rng.randrange(src.count)
            if src.kinds[src_index] != NORMAL or (src is sched and src_index == index):
                continue
            return src_unit, src_day, src_index
        return None

    def _resolved_content(self, sched: DaySchedule, index: int) -> tuple[Content, str]:
        """Content after the record's kind is applied, and the ledger tag for the kind."""
        c = content(self.seed, self.unit, sched.day, index)
        kind = sched.kinds[index]
        if kind == NORMAL:
            return c, ""
        rng = c.rng
        found = self._source(sched, index, rng)
        if found is None:
            return c, ""
        src_unit, src_day, src_index = found
        src = content(self.seed, src_unit, src_day, src_index)
        # The same initiative: same description and classification.
        c.summary, c.effect_summary = src.summary, src.effect_summary
        c.field, c.solution_type = src.field, src.solution_type
        c.participant_group = src.participant_group
        order = list(range(len(src.authors)))
        rng.shuffle(order)
        authors = [src.authors[k] for k in order]
        if kind == EXACT_DUP:
            c.title = exact_variant(src.title, rng)
            c.authors, c.author_ids = authors, [src.author_ids[k] for k in order]
            tag = "DUPLICATE_EXACT"
        elif kind == NEAR_DUP:
            c.title = near_variant(src.title, rng)
            c.authors, c.author_ids = list(src.authors), list(src.author_ids)
            tag = "NEAR_DUPLICATE"
        else:  # cross-unit: each unit's system has its own member ids
            c.title = src.title if rng.random() < 0.6 else exact_variant(src.title, rng)
            c.authors = authors
            c.author_ids = [f"CDV{rng.randrange(10**7, 10**8)}" for _ in authors]
            tag = "DUPLICATE_CROSS_UNIT"
        detail = f"{src_unit.code}:{record_id(self.seed, src_unit.code, src_day, src_index)}"
        return c, f"{tag}|{detail}"

    # -- rows --

    def rows_for_new(self, sched: DaySchedule, index: int, business: date) -> list[Row]:
        """The first row(s) of a record: one, or two versions when it is repeated."""
        c, kind_tag = self._resolved_content(sched, index)
        rid = record_id(self.seed, self.code, sched.day, index)
        created = datetime.combine(sched.day, datetime.min.time()) + timedelta(seconds=c.seconds)
        anomaly = sched.anomalies[index]
        status = "pending" if sched.initial[index] == R_PENDING else sched.status_on(index, 0)
        values = self._values(c, rid, sched.day, anomaly, status, created, created)
        order = (sched.day.toordinal(), c.seconds, index)
        row = Row(values, rid, order)
        if kind_tag:
            kind, detail = kind_tag.split("|", 1)
            row.tags.append((kind, detail))
        rule_tags = _anomaly_tags(anomaly, values, business)
        row.tags.extend(rule_tags)
        if index in sched.repeats:  # never has a planted defect (see lifecycle)
            early = self._earlier_version(row, c, created)
            early.tags.extend(rule_tags)
            return [row, early]
        defect = sched.defects.get(index)
        if defect:
            plant_defect(row, defect, c.rng, self.prof, [u.code for u in self._partners])
        return [row]

    def _earlier_version(self, row: Row, c: Content, created: datetime) -> Row:
        """An earlier edit of the same record sent in the same file (superseded)."""
        rng = c.rng
        end_of_day = datetime.combine(created.date(), datetime.max.time()).replace(microsecond=0)
        later = min(created + timedelta(minutes=rng.randrange(30, 300)), end_of_day)
        if later <= created:  # submitted at the last second of the day
            created -= timedelta(minutes=30)
        row.values["updated_at"] = self._time(later, rng)
        early = dict(row.values)
        early["updated_at"] = self._time(created, rng)
        early["review_status"] = "pending"
        early["effect_summary"] = c.effect_summary.split(".")[0]
        first = rng.random() < 0.5  # the superseded version is not always the earlier line
        order = (row.order[0], row.order[1] + (-1 if first else 1), row.order[2])
        return Row(early, row.record_id, order, [("IN_DELIVERY_REPEAT", "")], version="repeat")

    def row_for_event(
        self, sched: DaySchedule, index: int, event: str, day: date, business: date
    ) -> Row:
        """A later version of a record (review, edit, re-send) or its tombstone."""
        rid = record_id(self.seed, self.code, sched.day, index)
        ev_rng = Rng(f"{self.seed}:{self.code}:{sched.day}:{index}:{event}:{day}")
        seconds = 7 * 3600 + ev_rng.randrange(15 * 3600)
        when = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
        order = (day.toordinal(), seconds, index)
        if event == EV_WITHDRAW:
            values = {
                "record_id": rid,
                "unit_code": self.code,
                "is_deleted": self.prof.bool_style[0],
            }
            if ev_rng.random() < 0.5:
                values["updated_at"] = self._time(when, ev_rng)
            return Row(values, rid, order, [("TOMBSTONE", "")], version="tombstone")
        c, _ = self._resolved_content(sched, index)
        created = datetime.combine(sched.day, datetime.min.time()) + timedelta(seconds=c.seconds)
        status = sched.status_on(index, day.toordinal())
        values = self._values(c, rid, sched.day, sched.anomalies[index], status, created, when)
        if event == "edit":
            if values.get("benefit_vnd") == "" and "benefit_vnd" in self.prof.columns:
                amount = 1_000_000 * ev_rng.randrange(1, 200)
                values["benefit_vnd"] = format_benefit(amount, self.prof.benefit_grouping)
            else:
                values["effect_summary"] += " Đã nhân rộng áp dụng tại các đơn vị khác."
        tags = [("CORRECTION", "")] if event == "correction" else []
        tags += _anomaly_tags(sched.anomalies[index], values, business)
        return Row(values, rid, order, tags, version="update")

    # -- formatting --

    def _time(self, dt: datetime, rng: Rng) -> str:
        style = self.prof.time_style
        if style == "mixed":
            style = rng.choice(("offset", "utc", "dmy", "naive"))
        return format_time(dt, style)

    def _values(
        self,
        c: Content,
        rid: str,
        day: date,
        anomaly: int,
        status: str,
        created: datetime,
        updated: datetime,
    ) -> dict[str, str]:
        prof, rng = self.prof, c.rng
        true, false = prof.bool_style
        summary, confidential = c.summary, False
        recognized_by, applied, submitted = c.recognized_by, c.applied_on, created
        if anomaly == A_NOT_RECOGNIZED:
            recognized_by = ""
        elif anomaly == A_APPLIED_OUT:
            applied = date(2019, 1, 1) + timedelta(days=rng.randrange(970))  # before 01/09/2021
        elif anomaly == A_SUBMITTED_OUT:
            submitted = datetime(2021, 10, 1, 8) + timedelta(minutes=rng.randrange(140_000))
        elif anomaly == A_FUTURE:  # the unit's clock or import got the date wrong
            submitted = created + timedelta(days=rng.randrange(4, 7))
        elif anomaly == A_CONFIDENTIAL:
            confidential, summary = True, ""
        elif anomaly == A_CONFIDENTIAL_CONTENT:
            confidential, summary = True, f"{CONFIDENTIAL_MARKER}: {summary}"
        if prof.fmt == "csv" and summary and rng.random() < 0.01:  # quoted multi-line field
            summary = summary.replace(". Giải pháp:", ".\nGiải pháp:")

        date_style = prof.date_style
        if date_style == "mixed":
            date_style = rng.choice(("iso", "dmy"))
        enums = {
            "solution_type": c.solution_type,
            "field": c.field,
            "participant_group": c.participant_group,
            "recognition_level": c.recognition_level,
            "review_status": status,
        }
        if prof.mixed_case_rate and rng.random() < prof.mixed_case_rate:
            key = rng.choice(tuple(enums))
            enums[key] = odd_case(enums[key], rng)
        benefit = ""
        if c.benefit_vnd is not None:
            grouping = prof.benefit_grouping if rng.random() < 0.85 else "plain"
            benefit = format_benefit(c.benefit_vnd, grouping)
        # Empty means false too (contract §3), and some rows leave it empty.
        conf_text = true if confidential else ("" if rng.random() < 0.15 else false)
        values = {
            "record_id": rid,
            "unit_code": self.code,
            "grassroots_union": c.grassroots_union,
            "title": c.title,
            "authors": ("; " if rng.random() < 0.7 else ";").join(c.authors),
            "author_ids": ";".join(c.author_ids),
            "summary": summary,
            "effect_summary": c.effect_summary,
            "benefit_vnd": benefit,
            "applied_on": format_date(applied, date_style),
            "recognized_by": recognized_by,
            "award": c.award,
            "is_confidential": conf_text,
            "submitted_at": self._time(submitted, rng),
            "updated_at": self._time(updated, rng),
            "is_deleted": "" if rng.random() < 0.7 else false,
            **enums,
        }
        return values


def _anomaly_tags(anomaly: int, values: dict[str, str], business: date) -> list[tuple[str, str]]:
    """Ledger tags for a row carrying a programme-rule anomaly (every version carries it)."""
    if not anomaly:
        return []
    if anomaly == A_FUTURE and submitted_date(values, business) <= business:
        return []  # delivered late enough that the date is no longer in the future
    return [(ANOMALY_NAMES[anomaly], "")]
