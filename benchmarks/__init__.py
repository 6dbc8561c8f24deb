"""Benchmarks of totalplace against HiGHS alone and a straightforward PuLP + CBC model (issue 5)."""
