"""What the exporter is told at each milestone, in Vietnamese and English."""

from __future__ import annotations

from dataclasses import dataclass

NOTICES: dict[str, tuple[str, str, str, str]] = {
    # event: (subject vi, subject en, body vi, body en)
    "submitted": (
        "Hồ sơ C/O {dossier} đã được tiếp nhận",
        "C/O dossier {dossier} received",
        "Hồ sơ {dossier} đã được nộp. Vui lòng nộp phí theo hướng dẫn thanh toán.",
        "Dossier {dossier} was submitted. Please pay the fee as instructed.",
    ),
    "paid": (
        "Đã nhận phí C/O cho hồ sơ {dossier}",
        "Fee received for C/O dossier {dossier}",
        "Phí của hồ sơ {dossier} đã được ghi nhận; hồ sơ đang chờ thẩm định.",
        "The fee for dossier {dossier} was received; the dossier now waits for review.",
    ),
    "amendment_requested": (
        "Hồ sơ C/O {dossier} cần sửa đổi, bổ sung",
        "C/O dossier {dossier} needs amendment",
        "Cán bộ thẩm định yêu cầu sửa đổi hồ sơ {dossier}. Xem ý kiến và nộp lại.",
        "The reviewer asks for amendments to dossier {dossier}. See the comments and resubmit.",
    ),
    "refused": (
        "Hồ sơ C/O {dossier} bị từ chối",
        "C/O dossier {dossier} refused",
        "Hồ sơ {dossier} bị từ chối cấp C/O. Lý do được ghi trong hồ sơ.",
        "Dossier {dossier} was refused. The reason is recorded on the dossier.",
    ),
    "issued": (
        "C/O của hồ sơ {dossier} đã được cấp",
        "C/O for dossier {dossier} issued",
        "C/O của hồ sơ {dossier} đã được ký và cấp. Tải bản PDF trong hệ thống.",
        "The C/O for dossier {dossier} was signed and issued. Download the PDF from the system.",
    ),
}


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def notice_for(event: str, dossier_id: str) -> Notice:
    subject_vi, subject_en, body_vi, body_en = NOTICES[event]
    subject = f"{subject_vi} / {subject_en}".format(dossier=dossier_id)
    body = f"{body_vi}\n\n{body_en}\n".format(dossier=dossier_id)
    return Notice(subject=subject, body=body)
