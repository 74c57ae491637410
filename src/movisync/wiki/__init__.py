"""Everything that talks to the MediaWiki API: the transport (:mod:`.client`) and the
typed calls over it (:mod:`.api`)."""

from .api import Cursor, EditResult, EditStatus, PageBatch, PageState, UserInfo, Wiki
from .client import TRANSIENT_ERRORS, WikiClient, api_url, user_agent

__all__ = [
    "TRANSIENT_ERRORS",
    "Cursor",
    "EditResult",
    "EditStatus",
    "PageBatch",
    "PageState",
    "UserInfo",
    "Wiki",
    "WikiClient",
    "api_url",
    "user_agent",
]
