"""MkDocs hook: one docstring style. Under `mkdocs build --strict` a rendered page that
still shows another docstring style (Sphinx roles such as :class:`x`, Google or numpy
section headers, reST field lists) fails the build, naming the page and the text."""

import re

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger(__name__)

_OTHER_STYLES = [
    ("a Sphinx role (write [`name`][] or `name`)",
     re.compile(r":(?:class|func|meth|attr|mod|data|obj|exc|ref):<code>")),
    ("a Google-style section (write **Arguments:** and a list)",
     re.compile(r"<p>(?:Args|Arguments|Returns|Raises|Yields|Attributes|Parameters|"
                r"Examples?|Notes?):\s*\n")),
    ("a numpy-style section (write **Arguments:** and a list)",
     re.compile(r"<h\d[^>]*>(?:Parameters|Returns|Raises|Yields|Attributes)</h\d>")),
    ("a reST field (write **Arguments:** and a list)",
     re.compile(r":(?:param|type|returns?|rtype|raises)\b[^:<]*:")),
]


def on_page_content(html, page, config, files):
    for what, pattern in _OTHER_STYLES:
        for match in pattern.finditer(html):
            start = max(0, match.start() - 60)
            context = re.sub(r"<[^>]+>", "", html[start:match.end() + 60])
            log.warning("%s: %s: ...%s...", page.file.src_path, what,
                        " ".join(context.split()))
    return html
