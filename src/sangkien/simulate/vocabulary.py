"""Vietnamese vocabularies and the small generators that combine them.

Titles, summaries, effect summaries, person names, grassroots-union names, councils and
awards are assembled from these lists, so content varies widely while staying
plausible. Every string here must be encodable in cp1258 once decomposed (a test
checks it), so only plain ASCII punctuation is used.
"""

from __future__ import annotations

from bisect import bisect
from functools import cache

from .rng import Rng, cumulative

# --- people ---------------------------------------------------------------------------

SURNAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 1.5),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Võ", 2),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
    ("Đinh", 0.8),
    ("Trịnh", 0.6),
    ("Lương", 0.4),
    ("Mai", 0.4),
    ("Cao", 0.4),
    ("Lò", 0.2),
    ("Hà", 0.5),
    ("Tạ", 0.2),
    ("Đào", 0.5),
    ("Chu", 0.2),
    ("Lưu", 0.3),
    ("Tô", 0.2),
    ("Quách", 0.1),
    ("Kiều", 0.1),
)
MIDDLE_MALE = (
    "Văn",
    "Văn",
    "Văn",
    "Hữu",
    "Đức",
    "Minh",
    "Quang",
    "Công",
    "Xuân",
    "Thanh",
    "Ngọc",
    "Hoàng",
    "Trọng",
    "Đình",
    "Mạnh",
    "Tiến",
    "Anh",
    "Bá",
    "Duy",
    "Quốc",
)
MIDDLE_FEMALE = (
    "Thị",
    "Thị",
    "Thị",
    "Thị",
    "Thu",
    "Ngọc",
    "Thanh",
    "Minh",
    "Kim",
    "Hồng",
    "Phương",
    "Thùy",
    "Mai",
    "Lan",
    "Bích",
    "Khánh",
    "Hải",
    "Diệu",
    "Tuyết",
)
GIVEN_MALE = (
    "An",
    "Anh",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Đông",
    "Dương",
    "Giang",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hoàng",
    "Hùng",
    "Huy",
    "Khánh",
    "Khoa",
    "Kiên",
    "Lâm",
    "Long",
    "Lực",
    "Mạnh",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Quyết",
    "Sơn",
    "Tài",
    "Tâm",
    "Thái",
    "Thắng",
    "Thành",
    "Thịnh",
    "Toàn",
    "Trung",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vũ",
    "Hưng",
    "Lộc",
    "Trường",
    "Hậu",
    "Chiến",
    "Tú",
)
GIVEN_FEMALE = (
    "An",
    "Anh",
    "Bích",
    "Chi",
    "Dung",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Huệ",
    "Hương",
    "Huyền",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Tâm",
    "Thảo",
    "Thơ",
    "Thu",
    "Thủy",
    "Trang",
    "Trinh",
    "Tuyết",
    "Vân",
    "Yến",
    "Xuân",
    "Lụa",
    "Nhàn",
    "Hoài",
    "Thắm",
    "Nguyệt",
    "Ánh",
    "Diệp",
    "Khánh",
    "Hậu",
    "Lý",
)

_SURNAME_NAMES = tuple(s for s, _ in SURNAMES)
_SURNAME_CUM = cumulative([w for _, w in SURNAMES])


_SECOND_MIDDLE = MIDDLE_FEMALE[4:] + MIDDLE_MALE[3:]


def person_name(rng: Rng) -> str:
    """A full Vietnamese name: họ, tên đệm (sometimes two), tên."""
    r = rng.random  # inlined picks: this runs for every author of every record
    surname = _SURNAME_NAMES[bisect(_SURNAME_CUM, r() * _SURNAME_CUM[-1])]
    if r() < 0.55:
        middles, givens = MIDDLE_FEMALE, GIVEN_FEMALE
    else:
        middles, givens = MIDDLE_MALE, GIVEN_MALE
    middle = middles[int(r() * len(middles))]
    given = givens[int(r() * len(givens))]
    if r() < 0.12:  # e.g. "Nguyễn Thị Thu Hà"
        middle = f"{middle} {_SECOND_MIDDLE[int(r() * len(_SECOND_MIDDLE))]}"
    return f"{surname} {middle} {given}"


# --- places and organisations --------------------------------------------------------

HEROES = (
    "Lê Lợi",
    "Trần Phú",
    "Nguyễn Du",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Lê Quý Đôn",
    "Chu Văn An",
    "Phan Bội Châu",
    "Hàm Nghi",
    "Lê Hồng Phong",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Bà Triệu",
    "Võ Thị Sáu",
    "Lê Văn Hưu",
    "Đào Duy Từ",
    "Nguyễn Bỉnh Khiêm",
    "Mạc Đĩnh Chi",
    "Tô Hiến Thành",
    "Nguyễn Khuyến",
    "Lam Sơn",
    "Nguyễn Thị Minh Khai",
    "Phan Chu Trinh",
    "Huỳnh Thúc Kháng",
    "Hoàng Văn Thụ",
)
PLACES = (
    "Đông Sơn",
    "Hoằng Hóa",
    "Nga Sơn",
    "Yên Định",
    "Thọ Xuân",
    "Quảng Xương",
    "Tĩnh Gia",
    "Hậu Lộc",
    "Nông Cống",
    "Triệu Sơn",
    "Vĩnh Lộc",
    "Cẩm Thủy",
    "Bá Thước",
    "Thạch Thành",
    "Đông Anh",
    "Gia Lâm",
    "Sóc Sơn",
    "Ba Vì",
    "Thanh Trì",
    "Mê Linh",
    "Hưng Nguyên",
    "Nghi Lộc",
    "Diễn Châu",
    "Quỳnh Lưu",
    "Thanh Chương",
    "Can Lộc",
    "Hương Sơn",
    "Kỳ Anh",
    "Thạch Hà",
    "Cẩm Xuyên",
    "Lục Nam",
    "Yên Dũng",
    "Hiệp Hòa",
    "Tân Yên",
    "Lạng Giang",
    "Bảo Lộc",
    "Đức Trọng",
    "Di Linh",
    "Tân Phú",
    "Phú Hòa",
    "Long Thành",
    "Châu Thành",
    "Cái Răng",
    "Ninh Kiều",
    "Phụng Hiệp",
    "Vị Thanh",
    "Long Mỹ",
    "Thủ Đức",
    "Bình Chánh",
    "Củ Chi",
    "Hóc Môn",
    "An Dương",
    "Thủy Nguyên",
    "Kiến Thụy",
    "Đông Hưng",
    "Kiến Xương",
    "Hải Hậu",
    "Giao Thủy",
    "Tam Điệp",
    "Kim Sơn",
    "Gio Linh",
)
BRANDS = (
    "Sông Hồng",
    "Hoàng Long",
    "Minh Phát",
    "Thành Công",
    "Phú Thịnh",
    "Việt Hưng",
    "An Phát",
    "Tân Tiến",
    "Đại Dương",
    "Bình Minh",
    "Hưng Thịnh",
    "Trường Sơn",
    "Hải Âu",
    "Sao Mai",
    "Hồng Hà",
    "Phương Nam",
    "Đông Á",
    "Thái Bình Dương",
    "Việt Thắng",
    "Nam Việt",
    "Kim Long",
    "Tiến Thành",
    "Hòa Phát",
    "Thiên Long",
    "Vạn Xuân",
    "Hoa Sen",
    "Phú Tài",
    "Quang Minh",
    "Đức Giang",
    "Tân Hoàng Minh",
    "Yoosung Vina",
    "Sakura Hà Nội",
    "Hanesbrands",
    "Pouyuen",
    "Nissei Electric",
    "Canon Việt Nam",
)
INDUSTRIES = (
    "May",
    "May mặc",
    "Giày da",
    "Điện tử",
    "Cơ khí",
    "Xi măng",
    "Thực phẩm",
    "Bao bì",
    "Nhựa",
    "Chế biến gỗ",
    "Dược phẩm",
    "Vận tải",
    "Xây dựng",
    "Môi trường đô thị",
    "Cấp nước",
    "Chế biến thủy sản",
    "Phân bón",
    "Gạch men",
    "Linh kiện điện tử",
    "Thép",
    "Bia - Rượu - Nước giải khát",
    "Thức ăn chăn nuôi",
)
COMPANY_FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Công ty")
DEPARTMENTS = (
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tư pháp",
    "Sở Xây dựng",
    "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Tài nguyên và Môi trường",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Văn phòng UBND tỉnh",
    "Bảo hiểm xã hội tỉnh",
    "Cục Thuế tỉnh",
    "Kho bạc Nhà nước",
)

# Branch patterns of the sector and corporation unions ({place} and {brand} are filled in).
_SECTOR_PATTERNS: dict[str, tuple[str, ...]] = {
    "S01": (
        "Công đoàn Công an tỉnh {province}",
        "Công đoàn Công an huyện {place}",
        "Công đoàn Phòng Cảnh sát giao thông Công an tỉnh {province}",
    ),
    "S02": (
        "Công đoàn Nhà máy Z{num}",
        "Công đoàn Tổng công ty {brand} - Bộ Quốc phòng",
        "Công đoàn Bệnh viện Quân y {num}",
    ),
    "S03": (
        "Công đoàn Bộ Kế hoạch và Đầu tư",
        "Công đoàn Viện {brand}",
        "Công đoàn cơ quan Bộ Tư pháp",
        "Công đoàn Kiểm toán Nhà nước khu vực {num}",
    ),
    "S04": (
        "Công đoàn Trường Đại học {hero}",
        "Công đoàn Trường Cao đẳng {province}",
        "Công đoàn Nhà xuất bản Giáo dục tại {province}",
    ),
    "S05": (
        "Công đoàn Bệnh viện {hero}",
        "Công đoàn Viện Vệ sinh dịch tễ {province}",
        "Công đoàn Bệnh viện Đa khoa {province}",
    ),
    "S06": (
        "Công đoàn Tổng công ty {brand}",
        "CĐCS Công ty Cổ phần Hóa chất {brand}",
        "CĐCS Công ty Xăng dầu {province}",
    ),
    "S07": (
        "Công đoàn Công ty Lâm nghiệp {place}",
        "Công đoàn Viện Chăn nuôi {brand}",
        "CĐCS Công ty Thủy lợi {place}",
    ),
    "S08": (
        "Công đoàn Tổng công ty Xây dựng {brand}",
        "CĐCS Công ty Xi măng {place}",
        "CĐCS Công ty Cổ phần Lắp máy {brand}",
    ),
    "S09": (
        "Công đoàn Công ty Quản lý đường bộ {num}",
        "CĐCS Cảng hàng không {province}",
        "Công đoàn Cục Đăng kiểm - Trung tâm {num}",
    ),
    "S10": (
        "Công đoàn Bưu điện tỉnh {province}",
        "Công đoàn VNPT {province}",
        "Công đoàn Viettel {province}",
        "Công đoàn Báo {brand}",
    ),
    "S11": (
        "Công đoàn Ngân hàng {brand} chi nhánh {province}",
        "Công đoàn Ngân hàng Nhà nước chi nhánh {province}",
        "Công đoàn Agribank chi nhánh {place}",
    ),
    "S12": (
        "Công đoàn Tổng công ty May {brand}",
        "CĐCS Công ty Cổ phần Dệt {brand}",
        "CĐCS Công ty Sợi {place}",
    ),
    "S13": (
        "Công đoàn Công ty Cổ phần Vận tải đường sắt {brand}",
        "Công đoàn Xí nghiệp Đầu máy {place}",
        "CĐCS Công ty Thông tin tín hiệu {place}",
    ),
    "S14": (
        "Công đoàn Công ty Than {brand} - TKV",
        "CĐCS Công ty Tuyển than {place} - TKV",
        "Công đoàn Công ty Nhôm {place} - TKV",
    ),
    "S15": ("Công đoàn Công ty Cao su {brand}", "Công đoàn Công ty TNHH MTV Cao su {place}"),
    "S16": (
        "Công đoàn Tổng công ty Khí Việt Nam - PV GAS",
        "Công đoàn PVEP {brand}",
        "Công đoàn Tổng công ty Phân bón và Hóa chất Dầu khí",
        "CĐCS Công ty Điều hành Dầu khí {brand}",
    ),
    "S17": (
        "Công đoàn Công ty Điện lực {province}",
        "Công đoàn Nhà máy Thủy điện {place}",
        "Công đoàn Truyền tải điện {province}",
    ),
    "T01": (
        "Công đoàn Đoàn Tiếp viên Vietnam Airlines",
        "Công đoàn Công ty Kỹ thuật máy bay",
        "Công đoàn Văn phòng khu vực {province} - Vietnam Airlines",
    ),
    "T02": (
        "Công đoàn Công ty Cảng {province}",
        "Công đoàn Công ty Vận tải biển {brand}",
        "CĐCS Công ty Hoa tiêu hàng hải khu vực {num}",
    ),
}
_PROVINCE_PATTERNS: tuple[tuple[str, float], ...] = (
    ("Công đoàn cơ sở Trường THPT {hero}", 8),
    ("CĐCS Trường THCS {place}", 10),
    ("Công đoàn Trường Tiểu học {place}", 10),
    ("CĐCS Trường Mầm non {place}", 7),
    ("Công đoàn cơ sở Trường Tiểu học {hero}", 4),
    ("Công đoàn Trường THPT {place}", 4),
    ("Công đoàn cơ sở Bệnh viện Đa khoa huyện {place}", 3),
    ("Công đoàn Trung tâm Y tế huyện {place}", 3),
    ("CĐCS {form} {industry} {brand}", 14),
    ("Công đoàn cơ sở {form} {industry} {brand}", 6),
    ("CĐCS UBND xã {place}", 5),
    ("Công đoàn cơ quan {department}", 4),
    ("CĐCS Chi cục Thuế khu vực {place}", 1),
    ("Công đoàn cơ sở Kho bạc Nhà nước {place}", 1),
    ("CĐCS Ban Quản lý dự án {place}", 1),
    ("Công đoàn Trường Cao đẳng nghề {place}", 1),
    ("Công đoàn cơ quan LĐLĐ huyện {place}", 2),
)


@cache
def _province_names() -> tuple[str, ...]:
    import csv

    from .reference import reference_path

    try:
        with reference_path("provinces_2022.csv").open(encoding="utf-8", newline="") as fh:
            return tuple(row["short_name"].strip() for row in csv.DictReader(fh))
    except (FileNotFoundError, KeyError):
        return ("Hà Nội", "Thanh Hóa", "Nghệ An", "Đà Nẵng", "Cần Thơ", "Hải Phòng")


def _fill(pattern: str, rng: Rng) -> str:
    return pattern.format(
        hero=rng.choice(HEROES),
        place=rng.choice(PLACES),
        brand=rng.choice(BRANDS),
        industry=rng.choice(INDUSTRIES),
        form=rng.choice(COMPANY_FORMS),
        department=rng.choice(DEPARTMENTS),
        province=rng.choice(_province_names()),
        num=rng.randrange(1, 200),
    )


def grassroots_pool(unit_code: str, unit_type: str, size: int, rng: Rng) -> list[str]:
    """Names of a unit's grassroots unions (the same few hundred recur in its feed)."""
    if unit_type == "provincial_federation":
        patterns = [p for p, _ in _PROVINCE_PATTERNS]
        weights = [w for _, w in _PROVINCE_PATTERNS]
        picks = rng.choices(patterns, weights=weights, k=size)
    else:
        own = _SECTOR_PATTERNS.get(unit_code, ("Công đoàn {form} {industry} {brand}",))
        picks = [rng.choice(own) for _ in range(size)]
    seen: dict[str, None] = {}
    for pattern in picks:
        seen.setdefault(_fill(pattern, rng), None)
    return list(seen)


# --- titles --------------------------------------------------------------------------

# Objects of improvement per field (lĩnh vực).
OBJECTS: dict[str, tuple[str, ...]] = {
    "pandemic_prevention": (
        "công tác phòng, chống dịch Covid-19",
        "khai báo y tế điện tử",
        "xét nghiệm nhanh kháng nguyên",
        "cách ly y tế tại nơi làm việc",
        "tiêm chủng vắc xin Covid-19",
        "sản xuất 3 tại chỗ",
        "khử khuẩn nhà xưởng",
        "theo dõi F0 điều trị tại nhà",
        "dạy học trực tuyến trong thời gian giãn cách",
        "phân luồng người lao động ra vào nhà máy",
        "cấp phát túi thuốc cho F0",
        "hỗ trợ người lao động bị ảnh hưởng bởi dịch Covid-19",
        "truy vết tiếp xúc",
    ),
    "production_business": (
        "năng suất dây chuyền may",
        "tiết kiệm nguyên vật liệu",
        "giảm tỷ lệ sản phẩm lỗi",
        "bảo dưỡng thiết bị",
        "tiêu thụ điện năng",
        "quản lý kho vật tư",
        "vận hành lò hơi",
        "đóng gói sản phẩm",
        "máy ép nhựa",
        "băng tải vận chuyển",
        "khuôn dập",
        "hệ thống khí nén",
        "chăm sóc vườn cây cao su",
        "thu mua nguyên liệu",
        "chế biến thức ăn chăn nuôi",
        "sửa chữa động cơ",
        "kiểm tra chất lượng đầu vào",
        "tiêu thụ sản phẩm nông nghiệp",
        "vận hành trạm biến áp",
        "khai thác than hầm lò",
    ),
    "occupational_safety": (
        "an toàn lao động khi làm việc trên cao",
        "phòng cháy chữa cháy",
        "che chắn máy cắt",
        "cảnh báo khí độc trong hầm lò",
        "trang bị bảo hộ lao động",
        "an toàn điện",
        "huấn luyện an toàn cho công nhân mới",
        "phòng chống tai nạn giao thông",
        "chống nóng cho nhà xưởng",
        "giảm tiếng ồn tại phân xưởng",
    ),
    "environment": (
        "xử lý nước thải",
        "phân loại rác thải tại nguồn",
        "tái chế bao bì",
        "giảm phát thải khí nhà kính",
        "trồng cây xanh trong khuôn viên",
        "thu gom dầu thải",
        "sử dụng năng lượng mặt trời",
        "giảm rác thải nhựa",
        "xử lý bùn thải",
        "tiết kiệm nước sinh hoạt",
    ),
    "administrative_reform": (
        "giải quyết thủ tục hành chính",
        "tiếp nhận hồ sơ một cửa liên thông",
        "số hóa hồ sơ",
        "ký số văn bản điện tử",
        "dịch vụ công trực tuyến mức độ 4",
        "cấp giấy phép xây dựng",
        "thu ngân sách nhà nước",
        "đăng ký hộ tịch",
        "chi trả chế độ bảo hiểm xã hội",
        "quản lý văn bản đi, đến",
        "tiếp công dân",
    ),
    "management": (
        "quản lý nhân sự",
        "đánh giá, xếp loại viên chức",
        "quản lý tài chính",
        "lưu trữ hồ sơ",
        "lập kế hoạch sản xuất",
        "dạy học môn Toán lớp 9",
        "giáo dục kỹ năng sống cho học sinh",
        "rèn kỹ năng đọc cho học sinh lớp 1",
        "dạy học môn Tiếng Anh",
        "chăm sóc trẻ mầm non",
        "bồi dưỡng học sinh giỏi",
        "quản lý bán trú",
        "chăm sóc người bệnh",
        "khám chữa bệnh ngoại trú",
        "quản lý thiết bị dạy học",
        "công tác chủ nhiệm lớp",
        "quản lý chất lượng dịch vụ",
    ),
    "union_activity": (
        "phát triển đoàn viên",
        "thu kinh phí công đoàn",
        "tổ chức Tháng Công nhân",
        "chăm lo đời sống đoàn viên",
        "đối thoại tại nơi làm việc",
        "thương lượng tập thể",
        "tuyên truyền pháp luật cho người lao động",
        "hoạt động văn hóa, thể thao",
        "quản lý đoàn viên trên phần mềm",
        "xây dựng tổ chức công đoàn vững mạnh",
        "giám sát thực hiện chế độ cho người lao động",
        "tổ chức Tết Sum vầy",
    ),
    "community": (
        "hỗ trợ người lao động có hoàn cảnh khó khăn",
        "xây dựng Mái ấm Công đoàn",
        "khuyến học",
        "xây dựng nông thôn mới",
        "hiến máu tình nguyện",
        "chăm sóc người cao tuổi",
        "phòng chống đuối nước cho trẻ em",
        "bảo vệ an ninh trật tự khu dân cư",
    ),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "technical": (
        "Cải tiến {device} {purpose}",
        "Thiết kế, chế tạo {device} phục vụ {obj}",
        "Giải pháp kỹ thuật {improve} {obj}",
        "Sáng kiến cải tiến {device} trong {obj}",
        "Lắp đặt {device} nhằm {goal}",
        "Chế tạo {device} thay thế hàng nhập khẩu",
    ),
    "management": (
        "Giải pháp nâng cao hiệu quả {obj}",
        "Một số biện pháp {improve} {obj}",
        "Đổi mới công tác {obj}",
        "Nâng cao chất lượng {obj}",
        "Giải pháp {improve} {obj} nhằm {goal}",
        "Một số kinh nghiệm trong {obj}",
        "Biện pháp chỉ đạo {obj}",
    ),
    "operational": (
        "Cải tiến quy trình {obj}",
        "Tối ưu hóa quy trình {obj}",
        "Chuẩn hóa cách thức {obj}",
        "Sắp xếp lại {obj} nhằm {goal}",
        "Rút ngắn thời gian {obj}",
        "Giải pháp tác nghiệp trong {obj}",
    ),
    "technology_application": (
        "Ứng dụng công nghệ thông tin trong {obj}",
        "Xây dựng phần mềm {obj}",
        "Ứng dụng mã QR trong {obj}",
        "Số hóa {obj}",
        "Sử dụng Zalo và Google Form trong {obj}",
        "Ứng dụng phần mềm Excel trong {obj}",
        "Ứng dụng chuyển đổi số vào {obj}",
        "Xây dựng cơ sở dữ liệu {obj}",
    ),
    "research_topic": (
        "Nghiên cứu {obj}",
        "Đề tài nghiên cứu {obj}",
        "Khảo sát, đánh giá thực trạng {obj}",
        "Nghiên cứu giải pháp {improve} {obj}",
    ),
}
DEVICES = (
    "máy cắt",
    "bộ gá kẹp",
    "xe đẩy hàng",
    "băng chuyền",
    "bơm nước",
    "tủ điện điều khiển",
    "cảm biến nhiệt độ",
    "hệ thống chiếu sáng",
    "máy khâu",
    "quạt hút bụi",
    "bàn thao tác",
    "khuôn đúc",
    "hộp giảm tốc",
    "van an toàn",
    "đồ dùng dạy học",
    "mô hình trực quan",
    "buồng khử khuẩn",
    "máy sấy",
    "giàn tưới tự động",
    "thiết bị báo cháy",
)
PURPOSES = (
    "tăng năng suất",
    "giảm sức lao động",
    "tiết kiệm điện năng",
    "đảm bảo an toàn",
    "giảm thời gian dừng máy",
    "nâng cao độ chính xác",
    "giảm tiếng ồn",
)
IMPROVES = ("nâng cao", "cải thiện", "đổi mới", "hoàn thiện", "tăng cường", "đẩy mạnh")
GOALS = (
    "tiết kiệm chi phí",
    "giảm thời gian chờ đợi",
    "nâng cao năng suất lao động",
    "đảm bảo an toàn cho người lao động",
    "nâng cao chất lượng sản phẩm",
    "phục vụ người dân tốt hơn",
    "giảm áp lực cho giáo viên",
    "hạn chế sai sót",
)
SUFFIXES = (
    "tại {cdcs}",
    "tại đơn vị",
    "năm học 2021-2022",
    "năm học 2022-2023",
    "năm 2022",
    "trong giai đoạn hiện nay",
    "tại phân xưởng",
    "ở trường THCS",
    "cho học sinh lớp 5",
    "tại xã {place}",
    "trong điều kiện dịch bệnh",
    "tại bộ phận một cửa",
)


_TITLE_SLOTS = (
    ("{device}", DEVICES),
    ("{purpose}", PURPOSES),
    ("{improve}", IMPROVES),
    ("{goal}", GOALS),
)


def title(rng: Rng, field: str, solution_type: str, cdcs: str) -> str:
    r = rng.random
    templates = TEMPLATES[solution_type]
    text = templates[int(r() * len(templates))]
    objects = OBJECTS[field]
    text = text.replace("{obj}", objects[int(r() * len(objects))])
    for slot, words in _TITLE_SLOTS:  # draw only for the slots the template has
        if slot in text:
            text = text.replace(slot, words[int(r() * len(words))])
    if r() < 0.55:
        short = cdcs.removeprefix("Công đoàn cơ sở ").removeprefix("CĐCS ")
        short = short.removeprefix("Công đoàn ")
        text = f"{text} {rng.choice(SUFFIXES).format(cdcs=short, place=rng.choice(PLACES))}"
    return text


# --- summaries -----------------------------------------------------------------------

PROBLEMS = (
    "việc thực hiện còn thủ công, mất nhiều thời gian",
    "tỷ lệ sai sót còn cao",
    "người lao động phải làm thêm giờ",
    "chi phí vật tư tăng cao",
    "hồ sơ lưu trữ bằng giấy khó tra cứu",
    "thiết bị thường xuyên hỏng hóc",
    "người dân phải đi lại nhiều lần",
    "công tác phối hợp giữa các bộ phận chưa chặt chẽ",
    "nguy cơ mất an toàn lao động cao",
    "số liệu báo cáo chậm và thiếu chính xác",
)
ACTIONS = (
    "xây dựng quy trình mới gồm 5 bước",
    "thiết kế lại bố trí mặt bằng",
    "ứng dụng phần mềm quản lý trực tuyến",
    "chế tạo thêm bộ gá phụ trợ",
    "tổ chức tập huấn cho người lao động",
    "phân công lại nhiệm vụ theo nhóm",
    "lập bảng theo dõi hằng ngày",
    "sử dụng vật liệu sẵn có tại đơn vị",
    "kết hợp kiểm tra chéo giữa các tổ",
    "áp dụng phương pháp 5S",
)
DETAILS = (
    "có hướng dẫn cụ thể cho từng bộ phận",
    "kết hợp kiểm tra, giám sát thường xuyên",
    "giao trách nhiệm rõ ràng cho từng cá nhân",
    "không phát sinh thêm kinh phí",
    "dễ làm, dễ nhân rộng",
    "định kỳ đánh giá và rút kinh nghiệm hằng tháng",
)
EFFECTS = (
    "Tiết kiệm khoảng {n} giờ công mỗi tháng",
    "Giảm {p}% chi phí {what}",
    "Rút ngắn thời gian xử lý từ {a} ngày xuống còn {b} ngày",
    "Nâng cao chất lượng {what}, được đồng nghiệp đánh giá cao",
    "Tăng năng suất lao động khoảng {p}%",
    "Giảm {p}% tỷ lệ sai sót",
    "Áp dụng rộng rãi tại {n} đơn vị trong ngành",
    "Đảm bảo an toàn cho người lao động",
    "Được người dân và doanh nghiệp đồng tình, ủng hộ",
)
SCHOOL_EFFECTS = (
    "Học sinh hứng thú hơn, tỷ lệ khá giỏi tăng {p}%",
    "Chất lượng giáo dục toàn diện được nâng lên rõ rệt",
)
WHATS = ("vật tư", "điện năng", "văn phòng phẩm", "sửa chữa", "vận chuyển", "dịch vụ", "công việc")


def summary(rng: Rng) -> str:
    return (
        f"Thực trạng: {rng.choice(PROBLEMS)}. Giải pháp: {rng.choice(ACTIONS)}, "
        f"{rng.choice(DETAILS)}. Sáng kiến đã được áp dụng thử nghiệm và hoàn thiện trong "
        f"{rng.randrange(1, 12)} tháng."
    )


def effect_summary(rng: Rng, title_text: str) -> str:
    pool = EFFECTS + SCHOOL_EFFECTS if "học" in title_text else EFFECTS
    first = rng.randrange(len(pool))
    second = (first + 1 + rng.randrange(len(pool) - 1)) % len(pool)  # a different one
    picks = (pool[first], pool[second])
    r = rng.random
    fills = {
        "n": 2 + int(r() * 118),
        "p": 5 + int(r() * 55),
        "what": WHATS[int(r() * len(WHATS))],
        "a": 5 + int(r() * 15),
        "b": 1 + int(r() * 4),
    }
    if r() < 0.4:
        return f"{picks[0].format(**fills)}. {picks[1].format(**fills)}."
    return f"{picks[0].format(**fills)}."


# --- recognition ---------------------------------------------------------------------


def council(rng: Rng, level: str, cdcs: str, unit_name: str) -> str:
    """Who recognised the initiative, matching its recognition level."""
    if level == "grassroots":
        return rng.choice(
            (
                f"Hội đồng sáng kiến {cdcs}",
                "Thủ trưởng đơn vị",
                f"Ban Chấp hành {cdcs}",
                f"Hội đồng thi đua - khen thưởng {cdcs}",
                "Hội đồng khoa học cơ sở",
            )
        )
    if level == "upper_grassroots":
        return rng.choice(
            (
                f"Hội đồng sáng kiến LĐLĐ huyện {rng.choice(PLACES)}",
                "Hội đồng xét duyệt sáng kiến Công đoàn ngành Giáo dục",
                "Hội đồng sáng kiến Công đoàn Tổng công ty",
            )
        )
    if level == "provincial_or_sector":
        return f"Hội đồng xét duyệt sáng kiến {unit_name}"
    return "Hội đồng sáng kiến Tổng Liên đoàn Lao động Việt Nam"


def award(rng: Rng, level: str, cdcs: str, unit_name: str) -> str:
    if rng.random() < 0.8:
        return ""
    if level == "grassroots":
        return f"Giấy khen của {cdcs}"
    if level == "upper_grassroots":
        return f"Giấy khen của LĐLĐ huyện {rng.choice(PLACES)}"
    if level == "provincial_or_sector":
        return f"Bằng khen của {unit_name}"
    return "Bằng khen của Tổng Liên đoàn Lao động Việt Nam"


def all_strings() -> list[str]:
    """Every literal above, for the cp1258-encodability test."""
    out: list[str] = list(_SURNAME_NAMES) + list(MIDDLE_MALE + MIDDLE_FEMALE)
    out += list(GIVEN_MALE + GIVEN_FEMALE + HEROES + PLACES + BRANDS + INDUSTRIES)
    out += list(COMPANY_FORMS + DEPARTMENTS + DEVICES + PURPOSES + IMPROVES + GOALS + SUFFIXES)
    out += list(PROBLEMS + ACTIONS + DETAILS + EFFECTS + SCHOOL_EFFECTS + WHATS)
    for values in (*OBJECTS.values(), *TEMPLATES.values(), *_SECTOR_PATTERNS.values()):
        out += list(values)
    out += [p for p, _ in _PROVINCE_PATTERNS]
    return out
