"""Everything that talks to the MediaWiki API: the transport (:mod:`.client`) and the
typed calls over it (:mod:`.api`)."""

from .api import Cursor, EditResult, EditStatus, PageBatch, PageState, UserInfo, Wiki
from .client import WikiClient, user_agent

__all__ = [
    "Cursor",
    "EditResult",
    "EditStatus",
    "PageBatch",
    "PageState",
    "UserInfo",
    "Wiki",
    "WikiClient",
    "user_agent",
]
