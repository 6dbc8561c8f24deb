"""Solving for the service: the result cache (``cache``) and one cached solve with its effective options and key (``cached``)."""
