"""Alembic migrations. Run through `qingfeng db upgrade` (see migrations/runner.py)."""
