"""Development and live: deployed versions of the backend (docs/versions.md).

``snapshot``: the backend as plain data and what changed between two of them; ``deploy``:
making a snapshot a numbered, immutable version, refused when it has problems.
"""
