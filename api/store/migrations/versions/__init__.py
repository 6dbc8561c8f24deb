"""The revisions, oldest first: 0001 the baseline, each later one revising the one before."""
