"""The public look-up page of a certificate (English or Chinese): self-contained HTML, every field
escaped by Jinja2's autoescaping, no script, no external resource (a Content-Security-Policy of
``default-src 'none'`` is sent with it as well)."""

from __future__ import annotations

from functools import lru_cache

from conformance.locale import LANGUAGES, Words

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
th{width:14rem;color:#555;font-weight:600}code{word-break:break-all;font-size:.9em}
.status{font-weight:700;padding:.1rem .5rem;border-radius:.3rem}.valid{background:#e3f4e6}.suspended{background:#fff1cc}.revoked{background:#fde2e1}
footer{margin-top:2rem;color:#666;font-size:.9em}
</style></head><body>
{% for c in certificates %}
<h1>{{ words("registry.heading") }} <code id="cert-id">{{ c.id }}</code></h1>
<table>
<tr><th>{{ words("registry.status") }}</th><td><span id="status" class="status {{ c.status }}">{{ words("registry.status_" ~ c.status) }}</span></td></tr>
<tr><th>{{ words("registry.subject") }}</th><td id="subject">{{ c.subject }}</td></tr>
<tr><th>{{ words("registry.model_sha256") }}</th><td><code id="model">{{ c.model_sha256 or words("registry.none_given") }}</code></td></tr>
<tr><th>{{ words("registry.data_sha256") }}</th><td><code>{{ c.data_sha256 or words("registry.none_given") }}</code></td></tr>
<tr><th>{{ words("registry.evidence_sha256") }}</th><td><code>{{ c.evidence_sha256 }}</code></td></tr>
<tr><th>{{ words("registry.bundle_sha256") }}</th><td><code>{{ c.bundle_sha256 }}</code></td></tr>
<tr><th>{{ words("registry.profiles") }}</th><td id="profiles">{% for p in c.profiles %}{{ p.title }} (<code>{{ p.id }}</code> {{ p.version }}){% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
<tr><th>{{ words("registry.outcome") }}</th><td id="outcome">{{ outcome(c.outcome) }}</td></tr>
<tr><th>{{ words("registry.issuer") }}</th><td id="issuer">{{ c.issuer.name }}</td></tr>
<tr><th>{{ words("registry.jurisdiction") }}</th><td id="jurisdiction">{{ c.issuer.jurisdiction }}</td></tr>
<tr><th>{{ words("registry.fingerprint") }}</th><td><code>{{ c.issuer.fingerprint }}</code></td></tr>
<tr><th>{{ words("registry.recognised") }}</th><td>{{ words("registry.recognised_yes") if c.recognised else words("registry.recognised_no") }}</td></tr>
<tr><th>{{ words("registry.audited_at") }}</th><td>{{ c.audited_at }}</td></tr>
<tr><th>{{ words("registry.issued_at") }}</th><td>{{ c.issued_at }}</td></tr>
</table>
<h2>{{ words("registry.history") }}</h2>
<table id="history"><tr><th>{{ words("registry.at") }}</th><th>{{ words("registry.status") }}</th><th>{{ words("registry.by") }}</th><th>{{ words("registry.reason") }}</th></tr>
{% for h in c.history %}<tr><td>{{ h.at }}</td><td>{{ words("registry.status_" ~ h.status) }}</td><td>{{ h.by }}</td><td>{{ h.reason }}</td></tr>
{% endfor %}</table>
{% else %}
<h1>{{ title }}</h1><p id="none">{{ words("registry.none") }}</p>
{% endfor %}
<footer>{{ words("registry.footer") }}</footer>
</body></html>
"""


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment

    return Environment(autoescape=True).from_string(_TEMPLATE)


def render_certificates(certificates: list[dict], lang: str = "en", title: str | None = None) -> str:
    """One page showing the certificates (one, or all of a model), in ``lang``."""
    lang = lang if lang in LANGUAGES else "en"
    words = Words(lang)
    if title is None:
        title = words("registry.title", id=certificates[0]["id"]) if certificates else words("registry.heading")
    return _template().render(certificates=certificates, lang=lang, title=title, words=words,
                              outcome=words.outcome)
