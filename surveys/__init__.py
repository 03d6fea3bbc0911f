"""The survey engine: definitions, answer validation, tokens, anonymous storage, aggregation.

It never imports `medvirkning` or `litestar`; the service imports it.
"""
