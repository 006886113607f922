"""Everything that makes data for a demo or a benchmark, and nothing a real register runs on:
the five demo worlds (``demo``, loaded by ``manage.py load_demo``), the synthetic national
register (``generator``, written by ``manage.py generate_data``), and the loader of the reference
data in the top-level ``fixtures/`` folder (``reference``) that both start from.

It sits above every other app and may import any of them; no other app imports it."""
