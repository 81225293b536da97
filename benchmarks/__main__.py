"""Run every benchmark module in this package (each exposes ``main() -> None``)."""

from __future__ import annotations

import importlib
import pkgutil

import benchmarks


def run_all() -> None:
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        main = getattr(module, "main", None)
        if callable(main):
            print(f"== benchmarks.{info.name}", flush=True)
            main()


if __name__ == "__main__":
    run_all()
