"""Taxonomies: tags by default, any others configured. Term pages list the pages
carrying a term; a terms index lists every term with its count.

    [taxonomies]
    tags = {}
    series = { title = "Series" }
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    output_path,
    slugify,
)


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


@dataclass(eq=False)
class Term:
    name: str
    slug: str
    url: str
    output_path: str
    pages: list[Page] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.pages)


@dataclass(eq=False)
class Taxonomy:
    name: str
    title: str
    url: str
    output_path: str
    terms: dict[str, Term] = field(default_factory=dict)

    def sorted_terms(self) -> list[Term]:
        """Most used first, then alphabetical."""
        return sorted(self.terms.values(), key=lambda t: (-t.count, t.name.casefold(), t.slug))

    def term(self, name: str) -> Term | None:
        return self.terms.get(slugify(name))


def configured(site: Site) -> dict:
    return dict(site.config.table("taxonomies")) or DEFAULT


@hookimpl
def ssg_config_schema(register):
    register("taxonomies", Table(doc="taxonomy name -> options", open=True, values=TAXONOMY))


@hookimpl
def ssg_page_parsed(page: Page, site: Site) -> None:
    reader = FieldReader.for_page(page, site.root)
    for name in configured(site):
        if name in page.params:
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
        taxonomy = Taxonomy(name=name, title=options.get("title") or name.replace("_", " ").title(),
                            url=join_base(site.config.base_path, prefix), output_path=prefix.strip("/") + "/index.html")
        for page in site.pages:
            for term_name in page.taxonomies.get(name, ()):
                slug = slugify(term_name)
                if not slug:
                    site.warn(f"{page.source}: {name} term {term_name!r} has no usable characters; skipped")
                    continue
                term = taxonomy.terms.get(slug)
                if term is None:
                    term = taxonomy.terms[slug] = Term(name=term_name, slug=slug,
                                                       url=f"{taxonomy.url}{slug}/",
                                                       output_path=f"{prefix.strip('/')}/{slug}/index.html")
                if page not in term.pages:
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
