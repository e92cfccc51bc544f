"""What dealers are told before they send a unit in, written once and shown everywhere it applies.

The data-wipe notice (manual ch. 3, 二.2.1.6; DOMAIN.md A.7): since 2011-12-15 the
factory keeps no data on a unit it repairs or replaces, so the dealer must back
up *before* sending. It appears on every dealer-facing page before sending (the
public repair status page, the DOA application page and its confirmation, the
DOA status page), on the receipt, and on the printed RMA labels. The English
text is the message id; its zh-CN translation lives in the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Notice:
    """A notice: title and text (translated per request), the manual's own Chinese words, and a label-size form."""

    title: object
    text: object
    original_zh: str
    title_zh: str
    label: object  # a label has room for about three short lines: the same notice, cut to its advice


DATA_WIPE = Notice(
    title=_l("Your data will be erased"),
    text=_l("Since 15 December 2011 the factory no longer keeps the data on units sent for repair: repair erases "
            "everything on the unit and restores its factory settings. Please back up your data before sending a "
            "unit in."),
    original_zh=("“售后返修工厂给予保留原始数据”服务项目自2011年12月15日起取消，工厂在维修过程中会将产品内原有资料全部"
                 "清除即恢复出厂设置模式，请各代理商于送修前先将产品内的原有资料自行备份留存。"),
    title_zh="数据清除提示",
    label=_l("Repair wipes this unit: no data is kept. Back up all data before sending it in."),
)
