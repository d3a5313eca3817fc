"""Scripts that time sheetfunnel at scale; run each as ``python -m benchmarks.<name>`` from the
repository root, so that ``tests.support`` imports by name."""
