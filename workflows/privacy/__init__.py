"""Privacy rules: which things a run or an API caller may find, see, create, change or delete.

``access.DataAccess`` is the one door every read of things goes through (``search()``,
``thing`` parameters, the list actions, ``return_data``, the Data API).
"""
