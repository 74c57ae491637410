"""movisync: keep Movilab's documentation in good shape.

Pull a MediaWiki into a local SQLite store, find gaps and near-duplicates, and push
curated summary pages back, safely. Start from :class:`Workspace`::

    from movisync import Store, Workspace, Wiki, WikiClient

    wiki = Wiki(WikiClient("https://movilab.org/api.php", contact="me@example.org"))
    with Store("movisync.sqlite") as store:
        ws = Workspace(store, wiki=lambda: wiki)
        ws.pull()
        for gap in ws.gaps(types=["tiers-lieu"]).gaps:
            print(gap.page, gap.kind, gap.field)
"""

__version__ = "0.1.0"

from .activities import Activity, CommonsMap, Commun, DocPage, DocState
from .dupes import Cluster, DupeReport, MergeProposal, Pair
from .errors import (
    ApiError,
    ConfigError,
    DumpError,
    ExitCode,
    HttpError,
    LoginFailed,
    MarkerError,
    MaxlagExceeded,
    MovisyncError,
    NotAnApi,
    PlanRejected,
    PublishError,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreReadOnly,
    StoreTooNew,
    StoreWikiMismatch,
    WikiError,
    WikiUnreachable,
)
from .gaps import FieldFill, Gap, GapKind, GapReport
from .history import Snapshot
from .pages import CuratedPage, PageKind
from .profile import FieldSpec, PageType, Profile, Words, load_profile
from .publish import Applied, ApplyResult, Edit, Plan, Skip, SkipReason
from .records import Record, Value
from .report import ReportData
from .site import SiteInfo
from .store import Page, Store, Tracked, Waiver
from .sync import PullSummary, StoreStatus
from .wiki import Wiki, WikiClient
from .workspace import Check, PublishOptions, PullOptions, RunResult, Workspace

__all__ = [
    "Activity",
    "ApiError",
    "Applied",
    "ApplyResult",
    "Check",
    "Cluster",
    "CommonsMap",
    "Commun",
    "ConfigError",
    "CuratedPage",
    "DocPage",
    "DocState",
    "DumpError",
    "DupeReport",
    "Edit",
    "ExitCode",
    "FieldFill",
    "FieldSpec",
    "Gap",
    "GapKind",
    "GapReport",
    "HttpError",
    "LoginFailed",
    "MarkerError",
    "MaxlagExceeded",
    "MergeProposal",
    "MovisyncError",
    "NotAnApi",
    "Page",
    "PageKind",
    "PageType",
    "Pair",
    "Plan",
    "PlanRejected",
    "Profile",
    "PublishError",
    "PublishOptions",
    "PullOptions",
    "PullSummary",
    "Record",
    "ReportData",
    "RunResult",
    "SiteInfo",
    "Skip",
    "SkipReason",
    "Snapshot",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreReadOnly",
    "StoreStatus",
    "StoreTooNew",
    "StoreWikiMismatch",
    "Tracked",
    "Value",
    "Waiver",
    "Wiki",
    "WikiClient",
    "WikiError",
    "WikiUnreachable",
    "Words",
    "Workspace",
    "__version__",
    "load_profile",
]
