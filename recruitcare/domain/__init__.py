"""Pure rules: standard library only, no Flask, no SQLAlchemy."""
