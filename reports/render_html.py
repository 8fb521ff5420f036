"""Course pack as one printable HTML file: styles inline, no scripts, fonts or images to fetch."""
from jinja2 import Environment, PackageLoader, select_autoescape

from .pack import CoursePack

_ENV = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def render_html(pack: CoursePack) -> str:
    return _ENV.get_template("pack.html").render(pack=pack)
