"""Sample data types (a small shop, users with birthdays, verification codes) and the
seeds' workflows as YAML, loaded by ``make run`` with ``manage.py load_examples``."""
