"""The icons templates show (parley.web.icons), as the former Jinja macro wrote them."""

from __future__ import annotations

from jinja2 import Environment

from parley.web.icons import icon
from parley.web.templating import build_environment


def test_an_unlabelled_icon_is_hidden_from_screen_readers() -> None:
    assert icon("back") == (
        '<svg class="icon icon-back" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        '<path d="M19 12H5M11 18l-6-6 6-6"/></svg>'
    )


def test_a_labelled_icon_is_an_image_with_its_label_escaped() -> None:
    assert icon("back", 'Back to "<b>"') == (
        '<svg class="icon icon-back" viewBox="0 0 24 24" role="img" '
        'aria-label="Back to &#34;&lt;b&gt;&#34;"><path d="M19 12H5M11 18l-6-6 6-6"/></svg>'
    )


def test_an_unknown_icon_is_an_empty_svg_not_an_error() -> None:
    assert icon("nope") == (
        '<svg class="icon icon-nope" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        "</svg>"
    )


def test_templates_reach_it_through_the_macros_module() -> None:
    env: Environment = build_environment()
    page = env.from_string(
        '{% import "_macros.html" as m with context %}{{ m.icon("lock", "Locked") }}'
        "|{{ m.icon(name) }}"
    )
    assert page.render(name="x") == f"{icon('lock', 'Locked')}|{icon('x')}"
