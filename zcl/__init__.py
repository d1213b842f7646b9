"""``zcl``: the ledger's command line, a client of the library ``ledger`` and of the service's HTTP API.

It is its own top-level package so that the library never depends on one of its faces: ``ledger``
imports neither ``zcl`` nor ``api``. :mod:`zcl.main` assembles the parser from one module per
command group in :mod:`zcl.commands` and maps errors to exit codes.
"""
