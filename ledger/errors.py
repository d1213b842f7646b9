"""The ledger's one exception tree: every layer raises these, every face maps them once.

The API turns each class into one HTTP status (``api/errors.py``) and the CLI into one exit code
(``zcl/errors.py``), by looking the raised class up along its MRO, so a new subclass needs no new
handler. Chain errors stay in :mod:`ledger.chain.errors`, named after the contract's custom errors,
and map into this tree by inheritance: a chain that does not answer is :class:`Unavailable`.
::

    ZclError
    ├── InputError (ValueError)        input refused; .field is its path, e.g. records[3].value  → 422
    │   ├── ledger.records.RecordError  → BatchError, EvidenceTooLarge (413)
    ├── NotFound                       no such factory, batch, record, claim, evaluation           → 404
    ├── Forbidden                      signed by the wrong key, or not allowed to               → 403
    ├── Conflict                       the chain or this service already holds something else     → 409
    ├── RateLimited                    too many requests of one factory; .retry_after seconds     → 429
    ├── Unavailable                    the chain or database does not answer (yet); retry later   → 503
    │   ├── ledger.chain.errors.ChainUnavailable
    │   └── ledger.chain.errors.TransactionTimeout
    ├── IntegrityError                 stored data no longer matches what the chain anchored      → 500
    ├── AccountingError (ValueError)   an anchored record the factor set cannot account           → 422
    ├── ledger.chain.errors.LedgerError  the chain client's errors (ContractRevert and its kin)
    └── SetupError                     configuration, key files, deployment, the local chain, the compiler
        ├── ledger.config.ConfigError (ValueError)
        ├── ledger.keys.KeyFileError (ValueError)
        ├── ledger.chain.deployment.DeploymentError (RuntimeError)
        ├── ledger.chain.anvil.AnvilError (RuntimeError)
        └── ledger.chain.compiler.CompilerError (RuntimeError)

Messages are for the person reading them: they name what is wrong and never carry a key or token.
"""

from __future__ import annotations


class ZclError(Exception):
    """Base of every error the ledger raises on purpose."""


class InputError(ZclError, ValueError):
    """Input refused: ``field`` is the path of the offending field, ``message`` says why.

    Subclasses :class:`ValueError` so that callers asking only "is this input bad" need nothing from here.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # keeps the two-argument constructor working through pickle (multiprocessing workers)
        return (type(self), (self.field, self.message))


class NotFound(ZclError):
    """No such thing, here or on chain."""


class Forbidden(ZclError):
    """Signed by a key that is not allowed to, or refused by the contract's signature check."""


class Conflict(ZclError):
    """The chain (or this service) already holds something else in that place."""


class RateLimited(ZclError):
    """Too many requests of one kind from one factory or client; ``retry_after`` says when to come back."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[RateLimited], tuple[str, int]]:
        return (type(self), (str(self), self.retry_after))


class Unavailable(ZclError):
    """The chain or the database did not answer or confirm in time. Nothing is lost: what was
    accepted is kept and finished later; the caller may ask again."""


class IntegrityError(ZclError):
    """Stored data does not match what the chain anchored: nothing may be computed from it."""


class AccountingError(ZclError, ValueError):
    """An anchored record the accounting cannot use (e.g. a unit the factor set cannot convert)."""


class SetupError(ZclError):
    """The service or the CLI cannot run as configured: a setting, a key file, the deployment."""
