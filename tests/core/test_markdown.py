from core.markdown import render_markdown


def test_script_tags_and_event_handlers_never_reach_the_page():
    html = render_markdown('<script>alert(1)</script> <img src=x onerror="alert(2)"> **bold**')
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, not run
    assert "<strong>bold</strong>" in html


def test_links_get_nofollow_ugc_and_javascript_urls_are_dropped():
    html = render_markdown("[ok](https://orcid.org) [bad](javascript:alert(1))")
    assert 'href="https://orcid.org"' in html
    assert 'rel="nofollow ugc noopener"' in html
    assert 'href="javascript' not in html


def test_code_blocks_and_quotes_render():
    html = render_markdown("> quoted\n\n```python\nprint('<b>')\n```")
    assert "<blockquote>" in html
    assert "&lt;b&gt;" in html
    assert '<code class="language-python">' in html
