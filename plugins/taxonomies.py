"""Taxonomies: tags by default, any others configured. Term pages list the pages
carrying a term; a terms index lists every term with its count.

    [taxonomies]
    tags = {}
    series = { title = "Series" }
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ssg.api import (
    ConfigError,
    ContentError,
    FieldReader,
    Location,
    Option,
    Output,
    Page,
    PathError,
    Site,
    Table,
    hookimpl,
    join_base,
    listing_repr,
    output_path,
    record,
    slugify,
    tracked,
)


@hookimpl
def ssg_page_fields_read(config):
    return ("taxonomies",)   # what its site hooks read of a page (docs/plugins.md): the terms


def _check_url(value: str) -> str | None:
    if not value:
        return None
    try:
        output_path("/" + value.strip("/") + "/", what="url")
    except PathError as error:
        return error.message
    return None


TAXONOMY = Table({
    "title": Option(str, "", "heading of the terms index (default: the name, capitalised)"),
    "url": Option(str, "", "URL prefix of the term pages (default: /NAME/)", check=_check_url),
})
DEFAULT = {"tags": {"title": "", "url": ""}}


@tracked
@dataclass(eq=False)
class Term:
    name: str
    slug: str
    url: str
    output_path: str
    pages: list[Page] = field(default_factory=list)
    dependency_path: tuple[str, ...] = ()    # how templates' reads of it are recorded: site.taxonomies[N].terms[SLUG]

    @property
    def count(self) -> int:
        return len(self.pages)

    def __repr__(self) -> str:   # what its fingerprint is made of: every field (the dataclass repr, faster)
        return f"Term({self.name!r}, {self.slug!r}, {self.url!r}, {self.output_path!r}, {listing_repr(self.pages)})"


@tracked
@dataclass(eq=False)
class Taxonomy:
    """Shows as its identity in fingerprints: what a template reads of it (its
    title, a term's URL, its terms) is recorded read by read, so a page that
    shows its own tags does not depend on every other page's."""

    name: str
    title: str
    url: str
    output_path: str
    terms: dict[str, Term] = field(default_factory=dict)

    @property
    def dependency_path(self) -> tuple[str, ...]:
        return ("site", "taxonomies", self.name)

    def sorted_terms(self) -> list[Term]:
        """Most used first, then alphabetical."""
        record((*self.dependency_path, "terms"))
        return sorted(self.terms.values(), key=lambda t: (-t.count, t.name.casefold(), t.slug))

    def term(self, name: str) -> Term | None:
        slug = term_slug(name)
        record((*self.dependency_path, "terms", slug, "slug"))    # whether it exists
        return self.terms.get(slug)

    def __repr__(self) -> str:
        return f"<Taxonomy {self.name}>"


def configured(site: Site) -> dict:
    return dict(site.config.table("taxonomies")) or DEFAULT


@lru_cache(maxsize=4096)
def term_slug(name: str) -> str:
    """A term's URL segment: like a page slug, but '+' is kept so that
    'C++' and 'C' stay two terms."""
    slug = slugify(name, keep="+")
    if len(slug.encode("utf-8")) <= _LONGEST_SLUG:
        return slug
    # a folder name is at most 255 bytes: a longer term is cut, and told apart by a digest of its name
    cut = slug.encode("utf-8")[:_LONGEST_SLUG - 9].decode("utf-8", "ignore")
    return f"{cut}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


_LONGEST_SLUG = 200


@lru_cache(maxsize=4096)
def _spelling(name: str) -> str:
    """Names that differ only in case, spaces, dashes or underscores are one
    term on purpose ('Web Dev', 'web-dev'); others that share a slug ('C#' and
    'C') are merged with a warning."""
    return re.sub(r"[\s_-]+", "-", name.casefold()).strip("-")


@hookimpl
def ssg_config_schema(register):
    register("taxonomies", Table(doc="taxonomy name -> options", open=True, values=TAXONOMY))


@hookimpl
def ssg_page_parsed(page: Page, site: Site) -> None:
    names = [name for name in configured(site) if name in page.params]
    if not names:
        return
    reader = FieldReader.for_page(page, site.root)
    for name in names:
        try:
            page.taxonomies[name] = reader.string_list(name)
        except ContentError as error:   # reported; the page still builds, without these terms
            site.errors.append(error)


@hookimpl
def ssg_site_loaded(site: Site) -> None:
    for name, options in configured(site).items():
        prefix = "/" + (options.get("url") or name).strip("/") + "/"
        try:
            output_path(prefix, what=f"taxonomy '{name}'")
        except PathError as error:
            raise ConfigError(f"{error.message}: the name of a taxonomy is its URL unless 'url' is set",
                              where=Location(str(site.config.path)) if site.config.path else None,
                              hint=f"rename it or set url, e.g. {name} = {{ url = \"/topics/\" }}") from None
        merged: set[tuple[str, str]] = set()
        taxonomy = Taxonomy(name=name, title=options.get("title") or name.replace("_", " ").title(),
                            url=join_base(site.config.base_path, prefix), output_path=prefix.strip("/") + "/index.html")
        for page in site.pages:
            slugs_seen: set[str] = set()
            for term_name in page.taxonomies.get(name, ()):
                slug = term_slug(term_name)
                if not slug:
                    site.warn(f"{page.source}: {name} term {term_name!r} has no usable characters; skipped")
                    continue
                if slug in slugs_seen:   # "Python" and "python" on one page
                    continue
                slugs_seen.add(slug)
                term = taxonomy.terms.get(slug)
                if term is None:
                    term = taxonomy.terms[slug] = Term(name=term_name, slug=slug,
                                                       url=f"{taxonomy.url}{slug}/",
                                                       output_path=f"{prefix.strip('/')}/{slug}/index.html",
                                                       dependency_path=(*taxonomy.dependency_path, "terms", slug))
                elif _spelling(term.name) != _spelling(term_name) and (slug, term_name) not in merged:
                    merged.add((slug, term_name))
                    site.warn(f"{page.source}: {name} term {term_name!r} shares the URL {term.url} with "
                              f"{term.name!r}; both are listed there as {term.name!r}")
                term.pages.append(page)
        site.taxonomies[name] = taxonomy


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    outputs = []
    for name, taxonomy in site.taxonomies.items():
        if not isinstance(taxonomy, Taxonomy):
            continue
        outputs.append(Output(path=taxonomy.output_path, url=taxonomy.url, origin="taxonomies",
                              templates=(f"{name}/terms.html", "terms.html"), title=taxonomy.title,
                              context={"taxonomy": taxonomy, "terms": taxonomy.sorted_terms()}))
        for term in sorted(taxonomy.terms.values(), key=lambda t: t.slug):
            outputs.append(Output(path=term.output_path, url=term.url, origin="taxonomies",
                                  templates=(f"{name}/term.html", "term.html"), title=term.name,
                                  items=term.pages, context={"taxonomy": taxonomy, "term": term}))
    return outputs
