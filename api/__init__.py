"""totalplace's HTTP service: the web layer over the optimisation core."""
