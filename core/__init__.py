"""The shared kit every app may import: the one error type and the API error shape, body parsers and
pagination that refuse hostile input, serializer fields, the client address behind trusted proxies,
and atomic counters for rate limits. Plain Python and DRF; it imports no app."""
