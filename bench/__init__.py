"""`make bench`: what authentication costs per request, against the usual choices.

Run with `python -m bench`. See docs/BENCHMARKS.md for the method and the
latest numbers.
"""
