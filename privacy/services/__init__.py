"""Every write of the privacy app: exports (exports.py) and erasure (erasure.py)."""

from privacy.services.erasure import (
    CONFIRMATION,
    GRACE_PERIOD,
    erasure_cancel,
    erasure_now,
    erasure_request,
    erasure_run,
    erasures_run_due,
)
from privacy.services.exports import (
    EXPORTS_PER_DAY,
    LINK_LIFETIME,
    download_signature,
    export_build,
    export_downloaded,
    export_for_download,
    export_request,
    exports_sweep,
)

__all__ = [
    "CONFIRMATION",
    "EXPORTS_PER_DAY",
    "GRACE_PERIOD",
    "LINK_LIFETIME",
    "download_signature",
    "erasure_cancel",
    "erasure_now",
    "erasure_request",
    "erasure_run",
    "erasures_run_due",
    "export_build",
    "export_downloaded",
    "export_for_download",
    "export_request",
    "exports_sweep",
]
