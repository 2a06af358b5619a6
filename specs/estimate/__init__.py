"""Time to endpoint: the critical path through the stack's resource graph, with a duration per resource and data flow.

Pure over plain data (resource URNs, types and dependencies; figures from the config and the catalog), so the render
(offline/report.py) and a test on a hand-made graph compute it the same way.
"""
