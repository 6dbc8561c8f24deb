"""Jobs: their states and the reaper (``states``), where they wait and fan out (``queues``), one attempt (``runner``), analyses (``analyses``), the RQ entry points (``worker``)."""
