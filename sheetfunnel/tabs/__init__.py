"""The tabs the worker owns whole, one module each: it reads its tab and renders it."""
