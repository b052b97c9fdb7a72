"""``python -m shopscope``: the command line."""

from shopscope.cli.main import main

main()
