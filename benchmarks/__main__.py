"""Run every benchmark module of this package (each exposes main())."""

from __future__ import annotations

import importlib
import pkgutil

import benchmarks

for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
    if info.name.startswith("_"):
        continue
    module = importlib.import_module(f"benchmarks.{info.name}")
    if hasattr(module, "main"):
        print(f"== {info.name}")
        module.main()
