from __future__ import annotations

from evalhub.core.render import render_markdown


def test_markdown_renders_code_and_lists():
    html = render_markdown("## Title\n\n- a\n- b\n\n```python\nprint(1)\n```")
    assert "<h2>Title</h2>" in html
    assert "<li>a</li>" in html
    assert '<code class="language-python">' in html


def test_raw_html_and_script_are_neutralised():
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>[x](javascript:alert(3))'
    html = render_markdown(payload)
    assert "<img" not in html
    assert "<script" not in html
    assert "href=\"javascript" not in html
    assert "&lt;script&gt;" in html  # shown as text, not executed


def test_links_are_nofollow():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[docs](https://example.org)")
