"""When a workflow runs: scheduled runs, recurring events, database triggers, execution on
django-q2 and the admin's Scheduler log. Depends on ``workflows``; never the reverse.
"""
