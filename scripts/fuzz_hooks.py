"""schemathesis hooks of scripts/fuzz.sh: how to send an NDJSON body. POST /api/import/stream
(what `assay import --server` streams to) takes `application/x-ndjson`, documented as a string of
lines; schemathesis has no serializer for that media type and would not test the route at all."""

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    # The generated string is the body's lines: on the wire as it is.
    return value if isinstance(value, bytes) else str(value).encode("utf8")
