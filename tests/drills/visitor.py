"""A person at the portal's real pages: cookies, CSRF tokens, forms, timings, no browser.

Every answer is kept (``answers``): its status, how long it took, whether it came at all
(``status`` 0: the connection failed or timed out), so a drill can count its 5xx.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer of its own


@dataclass
class Answer:
    method: str
    path: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str = ""

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("location", "")).path

    def __str__(self) -> str:
        what = self.status or f"no answer ({self.error})"
        return f"{self.method} {self.path} → {what} in {self.seconds:.1f}s"


class Visitor:
    def __init__(self, base_url: str, *, language: str = "en", timeout: float = 60):
        self.base_url = base_url
        self.language = language
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )
        self.answers: list[Answer] = []
        self.tokens: dict[str, str] = {}  # path → the CSRF token of its form

    def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method=method,
            headers={"Accept-Language": self.language, "Referer": self.base_url + path},
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                answer = self._answer(method, path, response)
        except urllib.error.HTTPError as error:  # 4xx and 5xx: an answer all the same
            answer = self._answer(method, path, error)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            answer = Answer(method, path, 0, 0.0, error=type(error).__name__)
        answer.seconds = time.monotonic() - started
        self.answers.append(answer)
        return answer

    @staticmethod
    def _answer(method: str, path: str, response) -> Answer:
        return Answer(
            method,
            path,
            response.status,
            0.0,
            {k.lower(): v for k, v in response.headers.items()},
            response.read().decode(errors="replace"),
        )

    def get(self, path: str) -> Answer:
        answer = self.request("GET", path)
        token = TOKEN.search(answer.body)
        if token:
            self.tokens[path] = token.group(1)
        return answer

    def submit(self, path: str, data: dict, *, form: str | None = None) -> Answer:
        """POST ``data`` with the CSRF token of the form last read at ``form`` (or ``path``)."""
        token = self.tokens.get(form or path, "")
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **data})

    def fill(self, path: str, data: dict) -> Answer | None:
        """Open the form page and submit it, as a person would; None if the form did not load."""
        page = self.get(path)
        if page.status != 200:
            return None
        return self.submit(path, data)

    def sign_in(self, email: str, password: str) -> bool:
        answer = self.fill("/accounts/login/", {"login": email, "password": password})
        return answer is not None and answer.status == 302 and "/login/" not in answer.location

    def server_errors(self, *, allowed=lambda answer: False) -> list[Answer]:
        return [a for a in self.answers if a.status >= 500 and not allowed(a)]
