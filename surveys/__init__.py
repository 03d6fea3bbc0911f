"""The survey engine: definitions, answer validation and aggregation under anonymity rules.

A pure core: no database, no web framework; it never imports `medvirkning`, `litestar` or
`sqlalchemy`, and the service imports it. `questions.py` has the question types and
conditions, `definition.py` the survey and its checks, `answers.py` the validation of an
answer set, `anonymity.py` the threshold rule and `aggregate.py` the results.
"""
