"""movisync: keep Movilab's documentation in good shape.

Pull a MediaWiki into a local SQLite store, find gaps and near-duplicates, and push
curated summary pages back, safely.
"""

__version__ = "0.1.0"
