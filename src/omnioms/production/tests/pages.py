"""Helpers of the production page tests: logging in by role and posting formsets."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client

from omnioms.testing import make_user


def login(client: Client, role: str) -> None:
    client.force_login(make_user(role))


def rows(prefix: str, forms: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    """POST data of a formset: its management form and one dict per row."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": len(forms),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, form in enumerate(forms):
        for key, value in form.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


class _FormReader(HTMLParser):
    """What a browser would send for the ``number``-th editing form of a page, untouched."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number, self.seen, self.inside = number, -1, False
        self.data: list[tuple[str, str]] = []
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and "novalidate" in a:  # the page's own forms, not the top bar's
            self.seen += 1
            self.inside = self.seen == self.number
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") != "checkbox" or "checked" in a:
                default = "on" if a.get("type") == "checkbox" else ""
                self.data.append((a["name"], a.get("value", default)))
        elif tag == "select":
            self.select, self.options = (a["name"], "multiple" in a), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea = a["name"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]  # a browser sends a single select's first option
            self.data.extend((name, value) for value in chosen)
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data.append((self.textarea, data))
            self.textarea = None


def as_sent(page: str, number: int = 0) -> dict[str, Any]:
    """POST data of a page's form as the browser shows it (lists for repeated names)."""
    reader = _FormReader(number)
    reader.feed(page)
    data: dict[str, Any] = {}
    for name, value in reader.data:
        if name in data:
            data[name] = (
                [*data[name], value] if isinstance(data[name], list) else [data[name], value]
            )
        else:
            data[name] = value
    return data
