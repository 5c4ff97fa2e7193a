"""Fleet replay: `clearlane replay` of an evaluation set scaled out on Ray, one task per drive.

    python -m fleet replay SET.yaml --report DIR [--address ADDR] [--workers N] …

Each task replays exactly one drive with the set's own semantics (`clearlane replay SET --shard
k+1/N`, N = the set's drive count), the per-drive reports travel back through Ray's object store,
and `clearlane report merge` pools them into the report one replay of the whole set writes.
See docs/guides/fleet-replay.md.
"""
