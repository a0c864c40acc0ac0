"""Data types, fields and option sets defined without code (docs/data-types.md).

``schema`` changes them with their tables, ``builder`` makes their Django models,
``registry`` keeps each process's models current, ``field_types`` is the one registry of
field kinds and ``definitions`` turns them into plain data. The app ``things`` (this
package's ``ThingsConfig``) is the label their models live under.
"""
