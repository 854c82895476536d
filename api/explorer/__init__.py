"""The auditor's explorer and the dashboard's data, read straight from the chain and the evidence store.

Nothing here needs the indexer or a database: an auditor with an RPC URL, the deployment file and the
evidence can run it. `mount_explorer(app, settings)` adds the pages, the JSON and the static dashboard.
"""

from api.explorer.mount import mount_explorer

__all__ = ["mount_explorer"]
