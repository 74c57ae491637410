"""Changing the live test wiki the way people do: edits, moves, deletions, imports."""

from __future__ import annotations

from typing import Any

from movisync.wiki import Wiki


class Editor:
    """A logged-in account that edits through the API (tests only)."""

    def __init__(self, wiki: Wiki) -> None:
        self.client = client = wiki.client
        tokens = client.call({"action": "query", "meta": "tokens"})["query"]["tokens"]
        self.token = tokens["csrftoken"]

    def _post(self, **params: Any) -> dict[str, Any]:
        return self.client.call({**params, "token": self.token}, post=True)

    def edit(self, title: str, text: str) -> dict[str, Any]:
        return self._post(action="edit", title=title, text=text, summary="test")

    def delete(self, title: str) -> dict[str, Any]:
        return self._post(action="delete", title=title, reason="test")

    def undelete(self, title: str) -> dict[str, Any]:
        return self._post(action="undelete", title=title, reason="test")

    def move(self, old: str, new: str, *, redirect: bool = True) -> dict[str, Any]:
        extra = {} if redirect else {"noredirect": "1"}
        return self._post(action="move", **{"from": old}, to=new, reason="test", **extra)

    def import_xml(self, xml: str) -> dict[str, Any]:
        """Special:Import through the API (``action=import``), which logs the import."""
        response = self.client.session.post(
            self.client.api,
            data={
                "action": "import",
                "format": "json",
                "formatversion": "2",
                "token": self.token,
                "interwikiprefix": "test",
            },
            files={"xml": ("import.xml", xml.encode(), "text/xml")},
        )
        result: dict[str, Any] = response.json()
        assert "error" not in result, result
        return result
