"""The admin's "Data" section: data types and their fields, option sets, and the things of
each data type defined without code (docs/data-types.md#in-the-admin).

``data_types`` and ``option_sets`` register their pages here; ``things`` is made per data
type by the admin site (``workflows.admin_site``), since those models change at run time.
"""

# The engine before the data model's modules: the admin is imported before the workflows
# app is ready, and ``masking`` and the engine import each other (the engine must start).
from ... import engine  # noqa: F401, I001
from . import data_types, option_sets  # noqa: F401
