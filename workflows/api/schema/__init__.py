"""The OpenAPI document, built from what the builders made, whenever it is asked for.

``hooks`` expands ``/api/1.1/wf/{name}`` into one typed operation per exposed workflow
(``workflows``) and ``/api/1.1/obj/{data_type}`` into one set of operations per data type
(``data``); ``endpoints`` describes the fixed endpoints; ``views`` serves the document,
cached per set of workflow revisions (``cache``). Other apps describe their own endpoints
and add them through ``registry`` (the scheduler: ``scheduler.api.schema``), so this app
need not know them.
"""
