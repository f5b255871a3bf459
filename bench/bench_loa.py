"""Time filling and signing the LOA with 4, 40 and 500 numbers.

Each figure is printed beside the baseline measured in the same run: copying the
built-in template unchanged with pypdf (read, clone, write). Targets: filling 4
numbers costs at most 3x the plain copy; 500 numbers stay under one second.
The values include accented Latin and a CJK business name, so every fill embeds
two font subsets. The parsed template is cached per process, which is why a fill
can cost less than the copy. Run with ``.venv/bin/python bench/bench_loa.py``.
"""

import io
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfWriter  # noqa: E402

from assistant import loa  # noqa: E402
from tests.test_loa_support import REQUEST  # noqa: E402
from tests.test_loa_support import SIGNER  # noqa: E402
from tests.test_loa_support import numbers  # noqa: E402

RUNS = 15


def median_seconds(action, runs: int = RUNS) -> float:
    """Median wall time of several runs of ``action``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_copy() -> None:
    writer = PdfWriter(clone_from=loa.DEFAULT_TEMPLATE)
    writer.write(io.BytesIO())


def cold_fill() -> None:
    # Parsing and checking the template again, as the first fill after start-up.
    loa._load_template.cache_clear()
    loa.fill_loa(REQUEST, numbers(4))


def main() -> None:
    # The first call parses the template and fonts once for the process.
    loa.check_template()
    loa.fill_loa(REQUEST, numbers(4))

    baseline = median_seconds(plain_copy)
    print(f"median of {RUNS} runs (5 for 500 numbers)")
    print(f"{'pypdf plain copy of the template':34} {baseline * 1000:8.1f} ms")
    verdicts = []
    for count in (4, 40, 500):
        runs = 5 if count == 500 else RUNS
        listed = numbers(count)
        fill = median_seconds(partial(loa.fill_loa, REQUEST, listed), runs)
        sign = median_seconds(partial(loa.sign_loa, REQUEST, listed, **SIGNER), runs)
        for action, seconds in (("fill", fill), ("sign", sign)):
            label = f"{action} {count} numbers"
            ratio = seconds / baseline
            print(f"{label:34} {seconds * 1000:8.1f} ms  {ratio:5.1f}x plain copy")
        if count == 4:
            verdicts.append(("fill 4 numbers <= 3x plain copy", fill <= 3 * baseline))
        if count == 500:
            verdicts.append(("fill 500 numbers < 1 s", fill < 1))
            verdicts.append(("sign 500 numbers < 1 s", sign < 1))
    cold = median_seconds(cold_fill)
    print(
        f"{'fill 4 numbers, template re-read':34} {cold * 1000:8.1f} ms  "
        f"{cold / baseline:5.1f}x plain copy"
    )
    verdicts.append(
        ("fill 4 numbers, template re-read, <= 3x plain copy", cold <= 3 * baseline)
    )
    for target, met in verdicts:
        print(f"target {target}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
