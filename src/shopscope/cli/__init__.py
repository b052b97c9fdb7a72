"""The ``shopscope`` command line."""
