"""The HTTP service: thin FastAPI routers over `ledger`; no domain rules live here."""
