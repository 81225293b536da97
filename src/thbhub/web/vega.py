"""The Vega/Vega-Lite/vega-embed bundle, built once from vl-convert-python and cached on disk.

Nothing is fetched from a CDN: vl-convert ships the libraries; building the bundle takes a
few seconds, so it is written once to ``<data dir>/cache`` and read from there afterwards.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_LOCK = threading.Lock()
_MEMORY: dict[str, bytes] = {}
VEGA_LITE = "v6.4"


def bundle(cache_dir: Path) -> bytes:
    from importlib.metadata import version

    import vl_convert as vlc

    name = f"vega-bundle-{version('vl-convert-python')}-{VEGA_LITE}.js"
    with _LOCK:
        if name in _MEMORY:
            return _MEMORY[name]
        path = cache_dir / name
        if path.exists():
            data = path.read_bytes()
        else:
            # snippet None = vl-convert's default, which sets window.vegaEmbed (stub says str)
            js: str = vlc.javascript_bundle(None, vl_version=VEGA_LITE)  # type: ignore[arg-type]
            data = js.encode("utf-8")
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)
            except OSError:
                pass  # a read-only data dir: keep it in memory only
        _MEMORY[name] = data
        return data
