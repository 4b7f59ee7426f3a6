"""Make ``seed/files.csv``: a one-stop export for the demo province, files received from
mid-November to mid-December 2024, so that on the demo's day (20/12/2024, the README's
``dondoc web --at``) some are late and some due soon.

    python seed/sample_files.py seed/files.csv

Deterministic (a fixed random seed), with the Vietnamese headers such exports use. The
people, addresses and phone numbers are made up.
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

HEADER = ["Mã hồ sơ", "Tên thủ tục", "Lĩnh vực", "Chủ hồ sơ", "Địa chỉ", "Số điện thoại", "Đơn vị xử lý",
          "Ngày tiếp nhận", "Ngày hẹn trả", "Thời hạn giải quyết (ngày làm việc)", "Trạng thái",
          "Ngày trả kết quả"]  # fmt: skip
PROCEDURES = [
    ("Sở Tư pháp", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "Lý lịch tư pháp", 10, "STP"),
    ("Sở Tài nguyên và Môi trường", "Đăng ký biến động quyền sử dụng đất", "Đất đai", 10, "TNMT"),
    (
        "Sở Kế hoạch và Đầu tư",
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "Thành lập doanh nghiệp",
        3,
        "KHDT",
    ),
    ("Sở Giao thông vận tải", "Đổi giấy phép lái xe do ngành GTVT cấp", "Đường bộ", 5, "GTVT"),
    ("UBND thành phố Biên Hòa", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", 15, "BH"),
    ("UBND phường Tân Phong", "Chứng thực bản sao từ bản chính", "Chứng thực", 1, "TP"),
    ("Sở Y tế", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh", 20, "SYT"),
]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Em",
         "Võ Thị Giang", "Đặng Quốc Huy", "Bùi Ngọc Khánh", "Công ty TNHH Hòa Phát Đạt",
         "Hợp tác xã Nông nghiệp Tân Phú"]  # fmt: skip
STREETS = ["Phạm Văn Thuận", "Đồng Khởi", "Võ Thị Sáu", "Nguyễn Ái Quốc", "30 Tháng 4"]


def rows(count: int = 60) -> list[list[str]]:
    rng = random.Random(2025)
    out = []
    start = datetime(2024, 11, 14, 7, 30)  # noqa: DTZ001 - local wall-clock times, as exports write them
    for i in range(count):
        agency, procedure, field, days, prefix = rng.choice(PROCEDURES)
        received = start + timedelta(
            days=rng.randint(0, 30), hours=rng.randint(0, 9), minutes=rng.choice([0, 15, 40])
        )
        returned = ""
        status = rng.choice(
            ["Đang xử lý", "Đang xử lý", "Đang giải quyết", "Đã trả kết quả", "Chờ bổ sung"]
        )
        if status == "Đã trả kết quả":
            returned = (received + timedelta(days=rng.randint(1, days + 8))).strftime(
                "%d/%m/%Y %H:%M"
            )
        out.append([
            f"{prefix}-{received:%y%m%d}-{i:04d}", procedure, field, rng.choice(NAMES),
            f"{rng.randint(1, 300)} {rng.choice(STREETS)}, phường Tân Phong, TP. Biên Hòa",
            f"09{rng.randint(10000000, 99999999)}", agency, received.strftime("%d/%m/%Y %H:%M"),
            "", str(days), status, returned,
        ])  # fmt: skip
    return out


def main(target: Path) -> None:
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
