"""A stand-in for Snowflake's Python runtime, for tests/test_snowflake_runtime.py.

``runner`` (test side) builds a virtual environment holding only the pinned packages of ``procs/definition.py``,
lays out an import directory like a procedure's, and starts ``driver`` in it. ``driver`` (child side, standard
library only until the sandbox is up) refuses network, process creation and writes outside /tmp with an audit
hook, then runs every handler against a Snowpark session.
"""
