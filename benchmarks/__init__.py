"""Runnable benchmarks: each module ``bench_*.py`` measures shopscope beside a named peer."""
