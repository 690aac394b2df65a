"""Back-office services: plain functions that take a Session."""
