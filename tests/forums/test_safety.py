"""A corpus of XSS payloads posted as Markdown renders with nothing executable."""

from html.parser import HTMLParser

import pytest

from forums import services

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<scr<script>ipt>alert(1)</script>",
    "<<img src=x onerror=alert(1)//",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    "<object data=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "<details open ontoggle=alert(1)>",
    "```\n<script>alert(1)</script>\n```",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
]

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip


class Elements(HTMLParser):
    """Collects the real elements and attributes of a fragment, as a browser parses them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def executable_parts(fragment: str) -> list[str]:
    parser = Elements()
    parser.feed(fragment)
    problems = []
    for tag, attrs in parser.found:
        if tag not in SAFE_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                problems.append(f"{tag}[{name}]")
            url = "".join((value or "").split()).lower()
            if name in {"href", "src", "action"} and not url.startswith(
                ("http:", "https:", "mailto:", "/", "#")
            ):
                problems.append(f"{tag}[{name}={value}]")
    return problems


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_with_nothing_executable(client, topic, reader, payload):
    post = services.post_create(topic=topic, by=reader, body=f"Hello\n\n{payload}\n")
    html = client.get(f"/forums/p/{post.pk}/", follow=True).content.decode()
    body = html[html.index(f'id="post-{post.pk}"') :]
    body = body[body.index('<div class="post-body">') + 23 : body.index("</article>")]
    assert executable_parts(body) == [], body
    assert executable_parts(post.body_html) == []


def test_links_get_nofollow_ugc_and_code_blocks_and_quotes_survive(topic, reader):
    post = services.post_create(
        topic=topic,
        by=reader,
        body="[docs](https://info.orcid.org/)\n\n```python\nprint('hi')\n```\n\n> quoted",
    )
    assert 'rel="nofollow ugc noopener"' in post.body_html
    assert "<pre><code" in post.body_html
    assert "<blockquote>" in post.body_html
