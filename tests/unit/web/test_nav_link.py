"""The navigation rail's links (templating.nav_link), as base.html's former macro wrote them."""

from __future__ import annotations

from types import SimpleNamespace

from parley.web.icons import icon
from parley.web.templating import build_environment


def _links(path: str, calls: str) -> str:
    request = SimpleNamespace(url=SimpleNamespace(path=path))
    page = build_environment().from_string("{% set item = nav_link %}" + calls)
    return page.render(request=request)


def test_the_current_page_and_pages_below_it_are_marked() -> None:
    home = icon("home")
    assert _links("/home", '{{ item("/home", "home", "Home") }}') == (
        f'<a href="/home" aria-current="page">{home}<span class="nav-label">Home</span></a>'
    )
    assert 'aria-current="page"' in _links("/lists/12", '{{ item("/lists", "list", "Lists") }}')
    assert "aria-current" not in _links("/listsx", '{{ item("/lists", "list", "Lists") }}')
    assert "aria-current" not in _links("/home", '{{ item("/", "home", "Front") }}')


def test_counts_show_as_a_badge_capped_at_99_and_labels_are_escaped() -> None:
    bell = icon("bell")
    assert _links("/x", '{{ item("/n", "bell", "A<b>", 7, secondary=True) }}') == (
        f'<a href="/n" class="nav-secondary">{bell}<span class="nav-label">A&lt;b&gt;</span>'
        '<span class="badge">7<span class="visually-hidden"> unread</span></span></a>'
    )
    assert '<span class="badge">99+' in _links("/x", '{{ item("/n", "bell", "N", 100) }}')
    assert "badge" not in _links("/x", '{{ item("/n", "bell", "N", 0) }}')
