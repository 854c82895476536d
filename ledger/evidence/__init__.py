"""Content-addressed evidence whose keys are exactly the CIDs Kubo's `ipfs add` prints.

`compute_cid` is the one CID rule (ledger/evidence/unixfs.py documents it against boxo's
importer); stores: `LocalEvidenceStore` (a folder) and `KuboEvidenceStore` (a Kubo node), chosen by
`open_evidence_store` from settings.
"""

from ledger.evidence.cid import EvidenceCid, parse_cid
from ledger.evidence.errors import EvidenceBackendError, EvidenceError, EvidenceNotFound, InvalidCid
from ledger.evidence.kubo import KuboEvidenceStore
from ledger.evidence.local import LocalEvidenceStore
from ledger.evidence.store import EvidenceStore, StreamingEvidenceStore, open_evidence_store
from ledger.evidence.unixfs import CHUNK_SIZE, MAX_LINKS, DagRoot, compute_cid, import_file

__all__ = [
    "CHUNK_SIZE",
    "MAX_LINKS",
    "DagRoot",
    "EvidenceBackendError",
    "EvidenceCid",
    "EvidenceError",
    "EvidenceNotFound",
    "EvidenceStore",
    "InvalidCid",
    "KuboEvidenceStore",
    "LocalEvidenceStore",
    "StreamingEvidenceStore",
    "compute_cid",
    "import_file",
    "open_evidence_store",
    "parse_cid",
]
