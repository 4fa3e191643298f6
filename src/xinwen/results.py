"""The JSON shape of every result, one per kind, used by the CLI (`--json`) and the REST API alike.

Each web page renders the same object its JSON twin returns, and these pydantic models are what
/openapi.json documents, so neither the schema nor the CLI can drift from what the pages really serve:
every view and every command builds one of these objects and either dumps it or renders it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from xinwen.article import Article
from xinwen.search.highlight import to_html

if TYPE_CHECKING:
    from xinwen.analysis.provenance import Change, Provenance
    from xinwen.linking.copies import Cluster
    from xinwen.linking.related import RelatedHit
    from xinwen.search.engine import SearchHit, SearchResult
    from xinwen.search.trends import Trends
    from xinwen.store.base import ArticleVersion

# The highlight marks of Collection.search (contract): matched words sit between these two characters.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"


class ArticleSummary(BaseModel):
    """An article as listed: no body."""

    id: str
    title: str
    published: datetime | None = None
    source: str | None = None
    origin: str | None = Field(None, description="the outlet the story is credited to (来源：新华社, …)")
    url: str | None = None
    tags: list[str] = Field(default_factory=list, description="tags computed by xinwen")
    snippet: str = ""


class RepublishedOut(BaseModel):
    original: date = Field(description="the date to show as 首发于: the first printing's, else the event's")
    reason: str = Field(description='"first-printing" (of its copy cluster) or "event-date"')
    days: int = Field(description="how many days the publish date lies after it")


class ProvenanceOut(BaseModel):
    """Where an article comes from, read from its text and record, and what its copies say."""

    origin: str | None = Field(None, description="the outlet the story is credited to (来源：…, 据…电, a dateline)")
    origin_evidence: dict[str, Any] | None = Field(None, description="how origin was read: kind, evidence, where")
    event_date: date | None = Field(None, description="the date of the event the story tells of")
    event_evidence: dict[str, Any] | None = Field(None, description="the words that state it, and where")
    first_printing: date | None = Field(None, description="the earliest publish date in its copy cluster")
    republished: RepublishedOut | None = Field(None, description="set when printed well after its event or first printing")
    versions: int = Field(1, description="how many texts the article has had (1: never changed)")


class ChangeOut(BaseModel):
    op: str = Field(description='"=" kept, "-" removed, "+" added')
    text: str


class VersionOut(BaseModel):
    """One text an article has had."""

    version: int = Field(description="1 is the first text stored; the highest is the current one")
    title: str
    published: datetime | None = None
    stored_at: str | None = Field(None, description="when this text was last written (ISO time)")
    replaced_at: str | None = Field(None, description="when the next text replaced it; null for the current")
    changed: int | None = Field(None, description="characters removed or added against the version before")
    body: str | None = Field(None, description="the text (in `xinwen show --versions --json`)")
    changes: list[ChangeOut] | None = Field(None, description="what changed from the version before")


class VersionsOut(BaseModel):
    """`xinwen show ID --versions`: every text an article has had, oldest first, with what changed."""

    id: str
    versions: list[VersionOut]


class ArticleFull(ArticleSummary):
    """An article with its body, what the source itself said about it, and its provenance."""

    body: str = ""
    category: str | None = None
    source_tags: list[str] = Field(default_factory=list, description="the source's own tags, kept apart")
    version: int = Field(1, description="which text of the article this is (see provenance.versions)")
    provenance: ProvenanceOut | None = None


class Reason(BaseModel):
    """Why an article is related: at least the shared tags and the top shared terms."""

    model_config = ConfigDict(extra="allow")
    shared_tags: list[str] = Field(default_factory=list)
    shared_terms: list[str] = Field(default_factory=list)
    shared_topics: list[str] = Field(default_factory=list, description="tag candidates both articles imply")
    section: str | None = Field(None, description="the publisher's section both articles are in (同栏目)")
    text: str | None = Field(None, description="a short sentence in Chinese, when the library gives one")


class RelatedArticle(BaseModel):
    article: ArticleSummary
    score: float
    reason: Reason


class ArticlePage(BaseModel):
    """GET /articles/{id}: the article (or, with ?version=N, one of its earlier texts), related reading,
    copies of the same story (其他来源), and its versions with what changed."""

    article: ArticleFull
    related: list[RelatedArticle]
    copies: list[ArticleSummary] = Field(description="other printings of the same story, canonical first")
    versions: list[VersionOut] = Field(default_factory=list, description="every text it has had (no bodies)")
    changes: list[ChangeOut] = Field(default_factory=list, description="what changed from the version before")


class TagCount(BaseModel):
    tag: str
    count: int


class RisingTag(BaseModel):
    tag: str
    now: int
    before: int
    ratio: float


class HomePage(BaseModel):
    """GET /: the latest articles and trending tags."""

    count: int = Field(description="articles in the collection")
    articles: list[ArticleSummary]
    trending: list[RisingTag] = Field(description="tags rising in the latest week against the week before")


class TagPage(BaseModel):
    """GET /tags/{tag}: the tag's articles (newest first) and the tags that occur with it."""

    tag: str
    page: int
    has_next: bool
    articles: list[ArticleSummary]
    cooccurring: list[TagCount]


class SearchHitOut(BaseModel):
    article: ArticleSummary
    score: float = Field(description="relevance within its match kind (BM25 for text matches)")
    match: str = Field("text", description='"title": every word is in the title (these come first); "text"')
    highlight: str = Field(description=f"snippet; matched words between U+E000 and U+E001 ({MARK_OPEN!r}…)")
    highlight_html: str = Field(description="the same, HTML-escaped, matched words in <mark>")
    title_highlight: str = Field(description="the title, matched words marked the same way")
    title_html: str = Field(description="the title, HTML-escaped, matched words in <mark>")


class FacetValue(BaseModel):
    value: str
    count: int


class SearchFilters(BaseModel):
    tag: str | None = None
    source: str | None = None
    origin: str | None = None
    month: str | None = Field(None, description="YYYY-MM")


class SearchPage(BaseModel):
    """GET /search: results of q with filters, facets (tags, sources, origins, months) and pagination."""

    q: str
    query: str = Field(description="what was sent to the search engine: q plus the filters in its syntax")
    filters: SearchFilters
    sort: str
    page: int
    per_page: int
    total: int
    pages: int
    mode: str = Field("all", description='"all" words matched, or "any" word when no article had them all')
    notes: list[str] = Field(default_factory=list, description="what in q was read differently from as typed")
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValue]]


class TrendPoint(BaseModel):
    period: str = Field(description="ISO date the period starts")
    count: int


class TrendsPage(BaseModel):
    """GET /trends: tag counts per period for the top tags, and the rising tags."""

    period: str
    periods: list[str] = Field(default_factory=list, description="every period start in range, oldest first")
    articles: list[int] = Field(default_factory=list, description="dated articles in each of those periods")
    now: str | None = Field(None, description="the latest period, which rising looks at")
    before: str | None = Field(None, description="the period rising compares it with")
    series: dict[str, list[TrendPoint]]
    rising: list[RisingTag]
    cooccurring: dict[str, list[TagCount]] = Field(
        default_factory=dict, description="for each tag asked for: the tags computed for the same articles")


class ClusterOut(BaseModel):
    canonical: ArticleSummary
    copies: list[ArticleSummary]


class DuplicatesPage(BaseModel):
    """GET /duplicates: clusters of copies of one story, the canonical printing first."""

    clusters: list[ClusterOut]


class ErrorOut(BaseModel):
    error: str
    status: int


def summary(a: Article) -> ArticleSummary:
    return ArticleSummary(
        id=a.id, title=a.title, published=a.published, source=a.source, origin=a.origin, url=a.url,
        tags=list(a.tags), snippet=a.snippet or "",
    )


def full(a: Article, provenance: Provenance | None = None, version: int | None = None) -> ArticleFull:
    return ArticleFull(
        id=a.id, title=a.title, published=a.published, source=a.source, origin=a.origin, url=a.url,
        tags=list(a.tags), snippet=a.snippet or "", body=a.body or "", category=a.category,
        source_tags=list(a.source_tags), provenance=provenance_out(provenance) if provenance else None,
        version=version or (provenance.versions if provenance else 1),
    )


def provenance_out(p: Provenance) -> ProvenanceOut:
    r = p.republished
    return ProvenanceOut(
        origin=p.origin, origin_evidence=p.origin_evidence, event_date=p.event_date, event_evidence=p.event_evidence,
        first_printing=p.first_printing, versions=p.versions,
        republished=RepublishedOut(original=r.original, reason=r.reason, days=r.days) if r else None,
    )


def versions_out(article_id: str, versions: list[ArticleVersion], *, bodies: bool = True) -> VersionsOut:
    """Every version, each with what changed from the one before (title and body, a blank line apart)."""
    from xinwen.analysis.provenance import changed_chars

    out = []
    for i, v in enumerate(versions):
        changes = version_changes(versions[i - 1], v) if i else None
        out.append(VersionOut(
            version=v.version, title=v.article.title, published=v.article.published, stored_at=v.stored_at,
            replaced_at=v.replaced_at, changed=changed_chars(changes) if changes is not None else None,
            body=v.article.body if bodies else None,
            changes=[ChangeOut(op=c.op, text=c.text) for c in changes] if bodies and changes is not None else None,
        ))
    return VersionsOut(id=article_id, versions=out)


def version_changes(before: ArticleVersion, after: ArticleVersion) -> list[Change]:
    """What changed from one version to the next: the title, then the body."""
    from xinwen.analysis.provenance import diff

    return diff(before.article.title + "\n\n" + before.article.body, after.article.title + "\n\n" + after.article.body)


def related_article(hit: RelatedHit) -> RelatedArticle:
    return RelatedArticle(article=summary(hit.article), score=float(hit.score), reason=Reason(**hit.reason))


def rising_tag(row: dict[str, Any]) -> RisingTag:
    """One of Trends.rising: {"tag", "now", "before", "ratio"}."""
    return RisingTag(tag=str(row["tag"]), now=int(row["now"]), before=int(row["before"]),
                     ratio=float(row["ratio"]))


def search_hit(h: SearchHit) -> SearchHitOut:
    title = h.title_highlight or h.article.title
    return SearchHitOut(
        article=summary(h.article), score=round(float(h.score), 4), match=h.match, highlight=h.highlight,
        highlight_html=to_html(h.highlight), title_highlight=title, title_html=to_html(title),
    )


def facets(result: SearchResult) -> dict[str, list[FacetValue]]:
    return {key: [FacetValue(value=str(v), count=int(n)) for v, n in values] for key, values in result.facets.items()}


def cluster(c: Cluster) -> ClusterOut:
    return ClusterOut(canonical=summary(c.canonical), copies=[summary(x) for x in c.copies])


def trends_page(t: Trends, cooccurring: dict[str, list[tuple[str, int]]] | None = None) -> TrendsPage:
    return TrendsPage(
        period=t.period, periods=list(t.periods), articles=list(t.articles), now=t.now, before=t.before,
        series={tag: [TrendPoint(period=str(p)[:10], count=int(n)) for p, n in pts] for tag, pts in t.series.items()},
        rising=[rising_tag(r) for r in t.rising],
        cooccurring={tag: [TagCount(tag=o, count=int(n)) for o, n in pairs] for tag, pairs in (cooccurring or {}).items()},
    )
