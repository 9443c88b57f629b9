"""Statistics Denmark's API (v1): a polite client for its ``tableinfo`` and ``data`` endpoints.

:class:`Client` posts to ``https://api.statbank.dk/v1`` unless ``ANALYSIS_STATBANK_URL`` or ``base_url`` names
another address (a local server that replays recorded responses in tests). It asks one thing at a time, retries a
failed request a few times with a growing pause (back-off), and says clearly when the API cannot be reached (no
internet connection). Before asking for data it checks the table's variables and value codes against
``tableinfo``, so that a typo gets a message naming the table, the variable and the nearest valid one.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.errors import DataError

__all__ = ["BASE_URL_ENV", "Client", "DEFAULT_BASE_URL", "StatbankError"]

DEFAULT_BASE_URL = "https://api.statbank.dk/v1"
BASE_URL_ENV = "ANALYSIS_STATBANK_URL"


class StatbankError(DataError):
    """Statistics Denmark's API could not be reached or refused a request; the message says which and why."""


def _near(value: str, valid: Sequence[str]) -> str:
    near = difflib.get_close_matches(value, list(valid), n=1, cutoff=0.5)
    if not near:
        near = [v for v in valid if v.casefold() == value.casefold()]
    return f" (did you mean '{near[0]}'?)" if near else ""


class Client:
    """A client for the ``tableinfo`` and ``data`` endpoints of Statistics Denmark's API (v1).

    Parameters
    ----------
    base_url : str, optional
        The API's address up to the version, e.g. ``https://api.statbank.dk/v1``; default ``ANALYSIS_STATBANK_URL``
        or that address.
    timeout : float, default 60
        Seconds to wait for an answer.
    lang : {'da', 'en'}, default 'da'
        Language of labels (and decimal commas in Danish).
    retries : int, default 3
        Further attempts after a failed request (no answer, HTTP 429 or 5xx); a 4xx answer is not retried. A
        ``Retry-After`` header (seconds) lengthens the pause to what the server asks.
    backoff : float, default 2
        Seconds to wait before the first retry; doubled before each further one.
    sleep : callable, optional
        How to wait (``time.sleep``); tests pass a function that does not.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 60.0,
        lang: str = "da",
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] | None = None,
    ):
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.lang = lang
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep if sleep is not None else time.sleep
        self._info: dict[str, dict] = {}
        #: Requests sent (each attempt counts), for progress and tests.
        self.requests = 0

    def _post(self, endpoint: str, body: dict, table: str) -> bytes:
        url = f"{self.base_url}/{endpoint}"
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        wait = self.backoff
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(
                url,
                data=payload,
                headers={"Content-Type": "application/json; charset=utf-8", "Accept": "*/*"},
                method="POST",
            )
            self.requests += 1
            asked_wait = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s)
                    return response.read()
            except urllib.error.HTTPError as e:
                detail = _message(e.read())
                error = StatbankError(
                    f"Statistics Denmark answered HTTP {e.code} to {endpoint} for table {table} ({url})"
                    + (f": {detail}" if detail else "")
                )
                if e.code != 429 and e.code < 500:
                    raise error from None
                retry_after = (e.headers or {}).get("Retry-After", "")
                if (
                    str(retry_after).strip().isdigit()
                ):  # the server says how long to wait (capped at 5 minutes)
                    asked_wait = min(float(retry_after), 300.0)
            except urllib.error.URLError as e:
                error = StatbankError(
                    f"could not reach Statistics Denmark's API at {url}: {e.reason} (is the machine connected "
                    f"to the internet? {BASE_URL_ENV} or --base-url names another address)"
                )
            except (TimeoutError, ConnectionError) as e:
                error = StatbankError(f"no answer from {url} within {self.timeout:g} s ({e})")
            if attempt == self.retries:
                tries = f" (after {self.retries + 1} attempts)" if self.retries else ""
                raise StatbankError(f"{error}{tries}") from None
            self._sleep(max(wait, asked_wait or 0.0))
            wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def tableinfo(self, table: str) -> dict:
        """The table's metadata: ``id``, ``text``, ``unit``, ``variables`` (each with ``id``, ``text``, ``values``).

        Raises
        ------
        StatbankError
            When the table does not exist (or the API cannot be reached).
        """
        key = table.upper()
        if key not in self._info:
            try:
                raw = self._post("tableinfo", {"table": table, "format": "JSON", "lang": self.lang}, table)
            except StatbankError as e:
                if "HTTP 4" in str(e):
                    raise StatbankError(
                        f"Statistics Denmark has no table '{table}' (check the id on statistikbanken.dk): {e}"
                    ) from None
                raise
            self._info[key] = json.loads(raw.decode("utf-8-sig"))
        return self._info[key]

    def check(self, table: str, variables: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
        """The variables with the table's own spelling of their ids; unknown variables or value codes raise.

        Values with wildcards or ranges (``*``, ``>2018``, ``>=2018<=2024``) are passed on unchecked.

        Raises
        ------
        StatbankError
            Naming the table, the variable or value, and the nearest valid one.
        """
        info = self.tableinfo(table)
        by_id = {v["id"].casefold(): v for v in info.get("variables", [])}
        ids = [v["id"] for v in info.get("variables", [])]
        out: dict[str, list[str]] = {}
        for name, values in variables.items():
            var = by_id.get(str(name).casefold())
            if var is None:
                raise StatbankError(
                    f"table {table} has no variable '{name}'{_near(str(name), ids)}; its variables: {', '.join(ids)}"
                )
            values = [values] if isinstance(values, str) else [str(v) for v in values]
            codes = [str(v["id"]) for v in var.get("values", [])]
            for value in values:
                if re.search(r"[*<>()]", value) or not codes:
                    continue
                if value not in codes:
                    shown = ", ".join(codes[:8]) + (", ..." if len(codes) > 8 else "")
                    raise StatbankError(
                        f"table {table}, variable {var['id']} has no value '{value}'{_near(value, codes)}; "
                        f"values: {shown}"
                    )
            out[var["id"]] = values
        return out

    def data(
        self,
        table: str,
        variables: Mapping[str, str | Sequence[str]],
        *,
        format: str = "CSV",
        value_presentation: str = "Value",
        check: bool = True,
    ) -> str:
        """The table's data as text.

        Parameters
        ----------
        table
            The table id, e.g. ``REGK31``.
        variables
            Variable id -> value codes (a code, a list of codes, ``*`` for all, ``>2018`` ...). BULK needs a value
            for every variable.
        format
            ``CSV``, ``BULK`` or ``JSONSTAT``.
        value_presentation
            ``Value`` (labels), ``Code`` or ``CodeAndValue``.
        check
            Check variables and codes against ``tableinfo`` first.
        """
        if format.upper() not in ("CSV", "BULK", "JSONSTAT"):
            raise ValueError(f"format must be CSV, BULK or JSONSTAT, not {format!r}")
        chosen = (
            self.check(table, variables)
            if check
            else {k: [v] if isinstance(v, str) else list(v) for k, v in variables.items()}
        )
        body = {
            "table": table,
            "format": format.upper(),
            "lang": self.lang,
            "valuePresentation": value_presentation,
            "timeOrder": "Ascending",
            "variables": [{"code": k, "values": v} for k, v in chosen.items()],
        }
        if format.upper() in ("CSV", "BULK"):
            body["delimiter"] = "Semicolon"
        return self._post("data", body, table).decode("utf-8")

    def download(
        self, table: str, variables: Mapping[str, str | Sequence[str]], path: str | os.PathLike, **kwargs: Any
    ) -> Path:
        """Save the table's data in a file (as the API sent it, BOM included) for :func:`load`; returns the path."""
        path = Path(path)
        text = self.data(table, variables, **kwargs)
        path.write_text(text, encoding="utf-8")
        return path


def _message(raw: bytes) -> str:
    """The error message in an API error response (JSON with ``message``), else its text, shortened."""
    text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("errorTypeCode") or text)[:300]
    return text[:300]
