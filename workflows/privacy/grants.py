"""What a privacy rule can grant (a module of its own: the sandbox needs these names and
must not import the rule machinery, which imports the sandbox)."""

FIND = "find"  # appear in searches (search(), lists of things, the Data API's list)
VIEW = "view"  # be reached by id and show fields
CREATE = "create"  # Data API: create
MODIFY = "modify"  # Data API: modify
DELETE = "delete"  # Data API: delete
GRANTS = (FIND, VIEW, CREATE, MODIFY, DELETE)
