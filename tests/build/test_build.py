"""Templates during a build: site templates override the theme file by file,
errors name the template file:line and the page being rendered, and one broken
page never stops the others. A small local theme keeps the expectations exact."""

from __future__ import annotations

import time

from messages import says

CONFIG = 'title = "T"\nbase_url = "https://example.org/"\ntheme = "mytheme"\n'

THEME = {
    "mytheme/templates/base.html": "<theme-base>{% block main %}{% endblock %}{% block footer %}{% endblock %}"
                                   "</theme-base>\n",
    "mytheme/templates/page.html": '{% extends "base.html" %}{% block main %}theme-page:{{ page.title }}{% endblock %}',
    "mytheme/templates/list.html": '{% extends "base.html" %}{% block main %}theme-list{% endblock %}',
    "mytheme/templates/index.html": '{% extends "base.html" %}{% block main %}theme-index{% endblock %}',
    "mytheme/templates/terms.html": "terms",
    "mytheme/templates/term.html": "term",
    "mytheme/templates/404.html": "404",
}

PAGES = {
    "content/a.md": "---\ntitle: A\n---\nx\n",
    "content/posts/b.md": "---\ntitle: B\ndate: 2024-03-05T10:20:00Z\n---\nx\n",
}


def site_with(make_site, files: dict, config: str = CONFIG):
    return make_site({**THEME, **PAGES, **files}, config=config)


def built(cli, site, *args):
    result = cli("build", "-s", str(site), *args)
    assert result.exit_code == 0, result.output
    return result


def failed(cli, site) -> str:
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.stderr


def read(site, rel: str) -> str:
    return (site / "public" / rel).read_text()


# --- overrides -----------------------------------------------------------------------------------

def test_theme_templates_are_used(make_site, cli):
    site = site_with(make_site, {})
    built(cli, site)
    assert read(site, "a/index.html") == "<theme-base>theme-page:A</theme-base>\n"
    assert read(site, "posts/index.html") == "<theme-base>theme-list</theme-base>\n"


def test_site_templates_override_the_theme_file_by_file(make_site, cli):
    site = site_with(make_site, {"templates/base.html": "<site-base>{% block main %}{% endblock %}</site-base>"})
    built(cli, site)
    assert read(site, "a/index.html") == "<site-base>theme-page:A</site-base>", "theme page.html, site base.html"
    assert read(site, "index.html") == "<site-base>theme-index</site-base>"


def test_override_can_extend_the_theme_file_it_replaces(make_site, cli):
    site = site_with(make_site, {"templates/page.html":
                                 '{% extends "theme/page.html" %}{% block main %}[{{ super() }}]{% endblock %}'})
    built(cli, site)
    assert read(site, "a/index.html") == "<theme-base>[theme-page:A]</theme-base>\n"


def test_base_override_can_extend_theme_base(make_site, cli):
    site = site_with(make_site, {"templates/base.html":
                                 '{% extends "theme/base.html" %}{% block footer %}<site-footer>{% endblock %}'})
    built(cli, site)
    assert read(site, "a/index.html") == "<theme-base>theme-page:A<site-footer></theme-base>\n"
    assert read(site, "index.html") == "<theme-base>theme-index<site-footer></theme-base>\n"


def test_section_template_and_front_matter_template(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "posts-page:{{ page.title }}",
                                 "content/posts/c.md": "---\ntitle: C\ntemplate: special.html\n---\n",
                                 "templates/special.html": "special:{{ page.title }}"})
    built(cli, site)
    assert read(site, "posts/b/index.html") == "posts-page:B"
    assert read(site, "posts/c/index.html") == "special:C"
    assert read(site, "a/index.html") == "<theme-base>theme-page:A</theme-base>\n"


def test_output_is_autoescaped(make_site, cli):
    site = site_with(make_site, {"content/x.md": "---\ntitle: \"<script>alert(1)</script>\"\n---\n"})
    built(cli, site)
    assert read(site, "x/index.html") == "<theme-base>theme-page:&lt;script&gt;alert(1)&lt;/script&gt;</theme-base>\n"


# --- errors --------------------------------------------------------------------------------------

def test_missing_template_names_the_candidates_and_the_page(make_site, cli):
    theme = {k: v for k, v in THEME.items() if not k.endswith("/page.html")}
    site = make_site({**theme, **PAGES}, config=CONFIG)
    err = failed(cli, site)
    assert "no template for a/index.html (content/a.md): looked for page.html" in err
    assert "no template for posts/b/index.html (content/posts/b.md): looked for posts/page.html, page.html" in err
    assert "add one of them to the site's templates/ or the theme" in err
    assert read(site, "index.html") == "<theme-base>theme-index</theme-base>\n", "other outputs still built"


def test_template_syntax_error_names_template_line_and_page(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "ok\n{% if %}\n"})
    err = failed(cli, site)
    assert f"{site / 'templates/posts/page.html'}:2: template syntax error:" in err
    assert "(while rendering posts/b/index.html (content/posts/b.md))" in err
    assert len(err.splitlines()) == 1, "one broken template, one error"
    assert read(site, "a/index.html") == "<theme-base>theme-page:A</theme-base>\n"


def test_syntax_error_in_an_included_template_names_the_included_file(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "{% include 'partials/meta.html' %}",
                                 "templates/partials/meta.html": "one\ntwo\n{{ page.title | }}\n"})
    err = failed(cli, site)
    assert f"{site / 'templates/partials/meta.html'}:3: template syntax error:" in err
    assert "content/posts/b.md" in err


def test_undefined_attribute_call_names_the_template_line(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "line one\nline two\n{{ page.nothing.more() }}\n"})
    err = failed(cli, site)
    # ssg's words, then Jinja's explanation (whatever it says), the page, and what to do
    assert says(err, f"{site / 'templates/posts/page.html'}:3: the template uses a value that is not defined: … "
                     "(while rendering posts/b/index.html (content/posts/b.md)) (check the name; guard a value")
    assert read(site, "a/index.html") == "<theme-base>theme-page:A</theme-base>\n"


def test_filter_on_the_wrong_type_names_the_template_line(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "{% extends 'base.html' %}\n{% block main %}\n"
                                                              "{{ page.title|date }}\n{% endblock %}"})
    err = failed(cli, site)
    assert f"{site / 'templates/posts/page.html'}:3: TypeError: the date filter needs a date, got str 'B'" in err


def test_missing_include_names_the_including_template(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html": "x\n{% include 'partials/nope.html' %}"})
    err = failed(cli, site)
    assert "template 'partials/nope.html' not found (while rendering posts/b/index.html" in err
    assert "templates/posts/page.html:2" in err


def test_recursive_include_is_a_clear_error_not_a_hang(make_site, cli):
    """Incident 4 (2009): a runaway loop took a whole service down. A template that
    includes itself is stopped, named with the page, and the rest still builds."""
    site = site_with(make_site, {"templates/posts/page.html": "{% include 'loop.html' %}",
                                 "templates/loop.html": "again {% include 'loop.html' %}"})
    started = time.monotonic()
    err = failed(cli, site)
    assert time.monotonic() - started < 10
    assert "template recursion too deep while rendering posts/b/index.html (content/posts/b.md)" in err
    assert "templates/loop.html:1" in err and "includes or calls itself" in err
    assert read(site, "a/index.html") == "<theme-base>theme-page:A</theme-base>\n"


def test_override_extending_itself_is_a_clear_error(make_site, cli):
    site = site_with(make_site, {"templates/page.html": "{% extends 'page.html' %}"})
    err = failed(cli, site)
    assert "template recursion too deep while rendering a/index.html (content/a.md)" in err
    assert f"{site / 'templates/page.html'}:1" in err and "must say 'theme/NAME'" in err


# --- helpers -------------------------------------------------------------------------------------

def test_date_filter_uses_date_format_or_an_explicit_format(make_site, cli):
    site = site_with(make_site, {"templates/posts/page.html":
                                 "{{ page.date|date }}|{{ page.date|date('%d/%m/%Y %H:%M') }}|{{ page.updated|date }}|"
                                 "{{ page.date|isodate }}"},
                     config=CONFIG + 'date_format = "%B %-d, %Y"\n')
    built(cli, site)
    assert read(site, "posts/b/index.html") == "March 5, 2024|05/03/2024 10:20||2024-03-05T10:20:00+00:00"


def test_date_filter_prints_each_date_in_its_own_zone_however_often_it_is_shown(make_site, cli):
    # 10:20Z and 11:20+01:00 are the same instant (equal datetimes): each prints its own clock time,
    # also the second time a list shows it.
    site = site_with(make_site, {
        "content/posts/c.md": "---\ntitle: C\ndate: 2024-03-05T11:20:00+01:00\n---\nx\n",
        "templates/posts/list.html": "{% for p in section.pages|sort(attribute='title') %}"
                                     "{{ p.date|date('%H:%M') }},{{ p.date|date('%H:%M') }},{{ p.date|date('%d') }};"
                                     "{% endfor %}"})
    built(cli, site)
    assert read(site, "posts/index.html") == "10:20,10:20,05;11:20,11:20,05;"


def test_the_default_date_format_prints_what_strftime_prints(make_site, cli):
    # %Y-%m-%d (the default) takes a faster way than strftime: the same text for dates in any zone, and for a
    # year before 1000, which strftime does not pad
    dates = ["2024-03-05T23:30:00-05:00", "2024-03-05T00:30:00+09:00", "0999-12-31", "1000-01-01", "2024-02-29"]
    files = {f"content/posts/d{at}.md": f"---\ntitle: D{at}\ndate: {value}\n---\nx\n" for at, value in enumerate(dates)}
    site = site_with(make_site, {**files, "templates/posts/list.html":
                                 "{% for p in section.pages|sort(attribute='title') %}"
                                 "{{ p.date|date }}={{ p.date|date('%Y-%m-%d ') }};{% endfor %}"})
    built(cli, site)
    shown = [entry.split("=") for entry in read(site, "posts/index.html").split(";")[:-1]]
    shown = {title: pair for title, pair in zip(["B", *(f"D{at}" for at in range(len(dates)))], shown, strict=True)}
    assert shown["D0"] == ["2024-03-05", "2024-03-05 "]
    assert shown["D1"] == ["2024-03-05", "2024-03-05 "]
    assert shown["D2"] == ["999-12-31", "999-12-31 "]
    assert shown["D3"] == ["1000-01-01", "1000-01-01 "]
    assert shown["D4"] == ["2024-02-29", "2024-02-29 "]


def test_url_for_links_to_a_content_file(make_site, cli):
    site = site_with(make_site, {"templates/page.html": "{{ url_for('posts/b.md') }}|{{ url_for('a.md') }}"},
                     config=CONFIG.replace("https://example.org/", "https://example.org/blog/"))
    built(cli, site)
    assert read(site, "a/index.html") == "/blog/posts/b/|/blog/a/"


def test_site_pages_sections_and_config_are_in_the_context(make_site, cli):
    site = site_with(make_site, {"templates/index.html":
                                 "{{ site.config.title }}|{% for p in site.pages %}{{ p.title }},{% endfor %}|"
                                 "{% for name, s in site.sections|dictsort %}"
                                 "{{ name }}:{{ s.pages|length }}{% endfor %}"})
    built(cli, site)
    assert read(site, "index.html") == "T|B,A,|posts:1"


def test_a_missing_template_named_by_a_page_points_at_its_field(make_site, cli):
    site = make_site({"content/a.md": "---\ntitle: A\ntemplate: nope.html\n---\nx\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "error: content/a.md:3: no template for a/index.html (content/a.md): looked for nope.html" in result.stderr
