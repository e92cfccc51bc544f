"""Label rendering speed: 1,000 labels as an A4 PDF, as thermal PDFs and as ZPL.

Run: ``python bench/labels_bench.py [count]``. Targets (issue 5): under 1 s for
the A4 PDF and for the thermal labels. Prints figures; asserts nothing.
Each format is timed cold (first render, symbols not yet cached) and warm
(the same codes again, as when a sheet is reprinted).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels import render  # noqa: E402
from labels.render import LabelSpec  # noqa: E402

NOTICE = "维修会清除设备上的全部数据，请先备份。Repair wipes this unit: no data is kept. Back up first."


def specs(count: int, salt: str) -> list[LabelSpec]:
    """Realistic unit labels: mixed-case serials, Chinese titles and facts, every other with the notice."""
    return [
        LabelSpec(
            code=f"{salt}x-{i:06d}-Ab{i % 97:02d}",
            title=f"SSD A400 240G 固态硬盘 #{i}",
            lines=[f"RMA2611-{i % 9999:04d} · line {i % 12 + 1}", "北京数码科技有限公司 (D0001)",
                   "State: received · 工厂维修"],
            notice=NOTICE if i % 2 else None,
        )
        for i in range(count)
    ]


def timed(label: str, fn, *args, **kwargs):
    # Wall time is the target; CPU time shows the cost when other processes share the cores.
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    size = len(out)
    print(f"{label:<42} {elapsed:7.3f} s wall  {used:7.3f} s cpu  {size / 1024:8.0f} KiB")
    return elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(f"{count} labels per run")
    results = {}
    for name, fn, kwargs, salt in (
        ("A4 PDF (3 x 8 sheets)", render.a4_sheet_pdf, {}, "A"),
        ("thermal PDF 60 x 40 mm", render.thermal_pdf, {"size": "60x40"}, "T"),
        ("thermal PDF 100 x 50 mm", render.thermal_pdf, {"size": "100x50"}, "W"),
        ("ZPL 60 x 40 mm, 203 dpi", render.zpl, {"size": "60x40", "dpi": 203}, "Z"),
    ):
        batch = specs(count, salt)
        cold = timed(f"{name}, cold", fn, batch, **kwargs)
        warm = timed(f"{name}, warm", fn, batch, **kwargs)
        results[name] = (cold, warm)
    print()
    for name in ("A4 PDF (3 x 8 sheets)", "thermal PDF 60 x 40 mm"):
        cold, _warm = results[name]
        verdict = "OK" if cold < 1.0 else "SLOW"
        print(f"target < 1 s: {name:<28} {cold:6.3f} s  {verdict}")


if __name__ == "__main__":
    main()
