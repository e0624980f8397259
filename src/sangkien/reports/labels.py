"""Vietnamese wording of the reports: codes explained, values named, numbers and dates shown.

Every label a provincial officer reads lives here, so the HTML, CSV and XLSX
say the same thing. Numbers follow Vietnamese usage (1.234.567; 12,5%), dates
are day-first (31/05/2022).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sangkien.settings import TIMEZONE

LOCAL_TZ = ZoneInfo(TIMEZONE)

#: Programme targets (feed contract §5).
TARGET_PHASE1 = 300_000
TARGET_TOTAL = 1_000_000
PHASE1_END = date(2022, 5, 31)

#: Rejection reasons (feed contract §4): what it means, and what the unit should do.
REASONS: dict[str, tuple[str, str]] = {
    "MISSING_REQUIRED": (
        "Thiếu thông tin bắt buộc: một cột bắt buộc để trống hoặc không có cột đó "
        "(chi tiết nêu tên cột).",
        "Điền đủ giá trị cho cột được nêu rồi gửi lại bản ghi.",
    ),
    "BAD_ENUM": (
        "Giá trị không thuộc danh mục cho phép (chi tiết nêu cột và giá trị nhận được).",
        "Dùng đúng một trong các mã của danh mục theo hợp đồng dữ liệu.",
    ),
    "BAD_DATE": (
        "Ngày hoặc giờ không đọc được, hoặc là ngày không có thật (ví dụ 31/02).",
        "Ghi ngày theo dạng 2022-05-31 hoặc 31/05/2022, giờ theo dạng 31/05/2022 21:04.",
    ),
    "BAD_NUMBER": (
        "Giá trị làm lợi (benefit_vnd) không phải số nguyên không âm.",
        "Chỉ ghi chữ số (có thể nhóm ba chữ số bằng dấu chấm), hoặc để trống nếu chưa rõ.",
    ),
    "TITLE_LENGTH": (
        "Tên sáng kiến ngắn hơn 5 ký tự hoặc dài hơn 500 ký tự.",
        "Sửa tên sáng kiến cho đúng độ dài.",
    ),
    "UNIT_MISMATCH": (
        "Mã đơn vị trên dòng khác với đơn vị gửi dữ liệu, hoặc không có trong danh mục.",
        "Mỗi đơn vị chỉ gửi sáng kiến của chính mình, với đúng mã đơn vị.",
    ),
    "ENCODING_ERROR": (
        "Dòng có ký tự không giải mã được theo bảng mã đã khai báo.",
        "Lưu tệp bằng UTF-8 (hoặc khai báo đúng bảng mã trong manifest.json).",
    ),
    "MALFORMED_ROW": (
        "Dòng sai cấu trúc: sai số cột, lỗi dấu ngoặc kép, hoặc mã bản ghi dài quá 64 ký tự.",
        "Xuất lại tệp từ hệ thống; kiểm tra dấu phẩy và dấu ngoặc kép trong nội dung.",
    ),
}

#: Warnings (feed contract §4): recorded per delivery, never a rejection.
WARNINGS: dict[str, tuple[str, str]] = {
    "NO_MANIFEST": (
        "Lần gửi không có tệp manifest.json: không kiểm tra được dữ liệu có đầy đủ hay không.",
        "Gửi kèm manifest.json với số dòng và mã băm sha256 của tệp dữ liệu.",
    ),
    "UNKNOWN_COLUMN": (
        "Tệp có cột không thuộc hợp đồng dữ liệu; cột này bị bỏ qua.",
        "Bỏ cột thừa hoặc sửa tên cột cho đúng.",
    ),
    "CONFIDENTIAL_CONTENT": (
        "Sáng kiến bí mật công nghệ nhưng vẫn có tóm tắt nội dung; phần tóm tắt đã bị xóa, "
        "không được lưu ở bất kỳ đâu.",
        "Với sáng kiến bí mật, để trống cột tóm tắt nội dung (summary).",
    ),
}

DELIVERY_STATUS = {
    "loaded": "Đã nạp",
    "replaced": "Đã được thay bằng lần gửi sau",
    "incomplete": "Không đầy đủ (manifest không khớp với tệp)",
    "failed": "Lỗi: không đọc được",
}

NIGHT_OUTCOME = {
    "loaded": "Đã nạp",
    "unchanged": "Không có gì mới",
    "no_delivery": "Không gửi dữ liệu",
    "incomplete": "Gửi không đầy đủ",
    "failed": "Lỗi khi nạp",
}

DUPLICATE_KIND = {
    "exact": "Trùng trong cùng đơn vị",
    "cross_unit": "Trùng giữa hai đơn vị",
    "suspected": "Nghi trùng (cần xem xét)",
}

#: Values of the record enumerations (feed contract §3) by dimension.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "participant_group": {
        "state_agency": "Cán bộ, công chức cơ quan nhà nước",
        "public_service_unit": "Viên chức đơn vị sự nghiệp công lập",
        "enterprise_worker": "Công nhân, người lao động trong doanh nghiệp",
        "union_officer": "Cán bộ công đoàn",
        "other": "Đối tượng khác",
    },
    "field": {
        "pandemic_prevention": "Phòng, chống dịch bệnh",
        "production_business": "Sản xuất, kinh doanh",
        "occupational_safety": "An toàn, vệ sinh lao động",
        "environment": "Bảo vệ môi trường",
        "administrative_reform": "Cải cách hành chính",
        "management": "Quản lý",
        "union_activity": "Hoạt động công đoàn",
        "community": "Cộng đồng, xã hội",
    },
    "solution_type": {
        "technical": "Giải pháp kỹ thuật",
        "management": "Giải pháp quản lý",
        "operational": "Giải pháp tác nghiệp",
        "technology_application": "Ứng dụng tiến bộ kỹ thuật",
        "research_topic": "Đề tài nghiên cứu khoa học",
    },
    "recognition_level": {
        "grassroots": "Cấp cơ sở",
        "upper_grassroots": "Cấp trên cơ sở",
        "provincial_or_sector": "Cấp tỉnh, ngành",
        "confederation": "Cấp Tổng Liên đoàn",
    },
}

DIMENSION_TITLES = {
    "participant_group": "Theo đối tượng tham gia",
    "field": "Theo lĩnh vực",
    "solution_type": "Theo loại giải pháp",
    "recognition_level": "Theo cấp công nhận",
    "province_2025": "Theo 34 tỉnh, thành phố (sau sắp xếp năm 2025)",
}

NO_PROVINCE = "Không thuộc tỉnh (công đoàn ngành, tổng công ty)"

UNIT_TYPES = {
    "provincial_federation": "Liên đoàn Lao động tỉnh, thành phố",
    "sector_union": "Công đoàn ngành Trung ương",
    "corporation_union": "Công đoàn Tổng công ty",
}


def value_label(dimension: str, value: str) -> str:
    """The Vietnamese name of an enumeration value (the code itself when unknown)."""
    return VALUE_LABELS.get(dimension, {}).get(value, value)


def rank_change_text(change: int | None) -> str:
    """`rank_change` as the leaderboard says it (positive = moved up)."""
    if change is None:
        return "—"
    if change > 0:
        return f"tăng {change} bậc"
    if change < 0:
        return f"giảm {-change} bậc"
    return "giữ nguyên"


def vn_int(value: int | float | Decimal | None) -> str:
    """1234567 → "1.234.567"."""
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", ".")


def vn_decimal(value: float | Decimal | None, digits: int = 2) -> str:
    """0.9312 → "0,93"."""
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_percent(ratio: float | Decimal | None, digits: int = 2) -> str:
    """A ratio (0.125) as Vietnamese shows a percentage: "12,50%"."""
    if ratio is None:
        return "—"
    return vn_decimal(float(ratio) * 100, digits) + "%"


def vn_date(value: date | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y")


def local_datetime(value: datetime) -> datetime:
    """An aware timestamp in Asia/Ho_Chi_Minh (naive ones are taken as already local)."""
    return value.astimezone(LOCAL_TZ) if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def vn_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return local_datetime(value).strftime("%d/%m/%Y %H:%M")
