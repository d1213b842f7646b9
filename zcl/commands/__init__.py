"""The ``zcl`` commands, one module per command group. Each module has ``register(subparsers)``,
which adds its commands to the top-level parser; a command's handler takes the parsed arguments
and returns the exit code (errors are raised, and :mod:`zcl.main` turns them into exit codes)."""
