"""An entry's HTML content: captions before the paragraph they precede, every text escaped."""

from __future__ import annotations

from html import escape
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from seedfeed.article import parse_article
from seedfeed.config import load_config
from seedfeed.convert import _figure, byline_text, render_content
from seedfeed.model import Article, Byline, Caption
from seedfeed.seeds import read_seed

REPO = Path(__file__).parent.parent


def reference_content(article: Article) -> str:
    """The content as the plain reading of the rule gives it: per position, its captions, then its paragraph."""
    parts: list[str] = []
    for index, paragraph in enumerate((*article.paragraphs, None)):
        parts.extend(_figure(c) for c in article.captions if c.position == index)
        if paragraph is not None:
            parts.append(f"<p>{escape(paragraph, quote=False)}</p>")
    if article.byline is not None:
        parts.append(f'<p class="byline">{escape(byline_text(article), quote=False)}</p>')
    return "\n".join(parts)


def test_content_of_the_reference_seed() -> None:
    seeds = REPO / "seeds"
    article = parse_article(read_seed(seeds / "000_e462c374ae22f41e.txt"), load_config(seeds))
    content = render_content(article)
    assert content == reference_content(article)
    assert article.captions
    assert content.count("<figure>") == len(article.captions)
    assert content.count("<p>") == len(article.paragraphs)


TEXT = st.text(alphabet="ab <&>\"'", max_size=8)


@given(
    st.lists(TEXT, max_size=5),
    st.lists(st.tuples(TEXT, st.integers(min_value=-1, max_value=6)), max_size=5),
    st.booleans(),
)
def test_captions_go_before_the_paragraph_they_precede(
    paragraphs: list[str], captions: list[tuple[str, int]], has_byline: bool
) -> None:
    # Positions in any order, repeated, or past the last paragraph.
    article = Article(
        source=Path("a.txt"),
        stem="a",
        title="t",
        paragraphs=tuple(paragraphs),
        captions=tuple(Caption(text=t, credit="AFP", cue="Foto", position=p) for t, p in captions),
        byline=Byline(author="A <b>", sources=("AFP",), cue=None) if has_byline else None,
        language="id",
        language_source="feed",
        date=None,
        link=None,
        tags=(),
        id=None,
        content_hash="sha256:0",
    )
    assert render_content(article) == reference_content(article)
