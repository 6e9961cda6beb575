"""Progress bars: tqdm (``tqdm.auto``, so notebooks get a widget) when it is installed,
drawn only where someone watches (a terminal or a notebook) unless asked for."""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Tuple, Union

Progress = Union[None, bool, Callable[[int, int], Any]]


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def start(
    progress: Progress, total: int, desc: str, unit: str
) -> Tuple[Optional[Any], Optional[Callable[[int], None]]]:
    """(bar, callback) for ``progress``: ``False`` none; a callable is called as
    ``progress(done, total)``; ``True`` a tqdm bar; ``None`` a tqdm bar when tqdm is
    installed and the output is a terminal or a notebook."""
    if progress is False:
        return None, None
    if callable(progress):
        user = progress
        return None, lambda done: user(done, total)
    if progress is None and not _interactive():
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress is True:
            raise ImportError("progress=True needs tqdm (pip install tqdm)") from None
        return None, None
    bar = tqdm(total=total, desc=desc, unit=unit, leave=False, delay=0.3)

    def update(done: int) -> None:
        bar.update(done - bar.n)

    return bar, update


def close(bar: Optional[Any]) -> None:
    if bar is not None:
        bar.close()
