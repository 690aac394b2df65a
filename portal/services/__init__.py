"""Portal services: plain functions that take a Session; no request in sight."""
