"""Settings and the jurisdiction/taxonomy data files."""
