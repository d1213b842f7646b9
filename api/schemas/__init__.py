"""Wire models, one module per resource, re-exported here so ``from api.schemas import X`` works
for every model whichever module it lives in.

Quantities are strings (exact decimals); strict types refuse JSON numbers there. Every JSON answer
has a model, so the OpenAPI document is enough to generate a client.
"""

from api.schemas.batches import (
    BatchOut,
    BatchStatusOut,
    BatchSummaryOut,
    EvidenceIn,
    RecordIn,
    RecordOut,
    SignedBatchIn,
)
from api.schemas.chain import ChainOut
from api.schemas.claims import (
    CertificateStatusOut,
    ClaimDetailsOut,
    ClaimOnChainOut,
    ClaimRecordOut,
    ClaimSubmitOut,
)
from api.schemas.common import (
    STREAM,
    Address,
    Eip712DomainOut,
    ErrorOut,
    Out,
    Strict,
    TxOut,
    TypedFieldOut,
    error,
    json_error,
)
from api.schemas.evaluations import (
    EvaluationIn,
    EvaluationOut,
    EvaluationResultOut,
    EvaluationSummaryOut,
    FindingOut,
    ParkIn,
    ParkOut,
    PeriodsOut,
    ReportAnchorOut,
    ReportChainOut,
    ReportMessageOut,
    ReportTypedDataOut,
    SetLabelOut,
    SignatureIn,
    TotalsOut,
)
from api.schemas.evidence import (
    MAX_STATUS_HASHES,
    BatchEvidenceOut,
    EvidenceMetaOut,
    EvidenceOut,
    MissingEvidenceOut,
    RecordEvidenceOut,
    RecordEvidenceRefOut,
    StatusIn,
)
from api.schemas.factories import (
    FactoryIn,
    FactoryOut,
    FactoryProfileIn,
    FactoryProfileOut,
    RotationTypedDataOut,
    SignerEpochOut,
    SignerIn,
)
from api.schemas.proofs import (
    CheckOut,
    ProofBundleOut,
    RecordBodyOut,
    SignedEvidenceOut,
    VerificationOut,
)

__all__ = [
    "MAX_STATUS_HASHES", "STREAM", "Address", "BatchEvidenceOut", "BatchOut", "BatchStatusOut", "BatchSummaryOut",
    "CertificateStatusOut", "ChainOut", "CheckOut", "ClaimDetailsOut", "ClaimOnChainOut", "ClaimRecordOut",
    "ClaimSubmitOut", "Eip712DomainOut", "ErrorOut", "EvaluationIn", "EvaluationOut", "EvaluationResultOut",
    "EvaluationSummaryOut", "EvidenceIn", "EvidenceMetaOut", "EvidenceOut",
    "FactoryIn", "FactoryOut", "FactoryProfileIn", "FactoryProfileOut", "FindingOut", "MissingEvidenceOut", "Out", "ParkIn", "ParkOut", "PeriodsOut",
    "ProofBundleOut", "RecordBodyOut", "RecordEvidenceOut", "RecordEvidenceRefOut", "RecordIn",
    "RecordOut", "ReportAnchorOut", "RotationTypedDataOut", "ReportChainOut", "ReportMessageOut", "ReportTypedDataOut", "SetLabelOut",
    "SignatureIn", "SignedBatchIn", "SignedEvidenceOut", "SignerEpochOut", "SignerIn", "StatusIn", "Strict",
    "TotalsOut", "TxOut", "TypedFieldOut", "VerificationOut", "error", "json_error",
]  # fmt: skip
