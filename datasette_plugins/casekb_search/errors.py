"""Error pages that cost what a page costs, whatever is installed (the handle_exception hook).

Datasette 0.65's own handler prints every exception, a 404 included, with rich and its local
variables whenever `rich` is importable (and outside an `except` block rich itself raises, which made
some not-found pages 500); `datasette serve` also installs rich's traceback hook. casekb answers
every error itself and takes Datasette's handler out: a 4xx is its page and nothing in the log; a
500 says only that the server failed (its message may hold a path) and its traceback goes to the log
once per place it was raised, cut to a bounded length; the same failure again is one line.
"""
import logging
import sys
import traceback

from datasette.plugins import pm
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

from .web import ERROR_TITLES, NOSNIFF, json_response

log = logging.getLogger(__name__)
DATASETTE_HANDLER = "datasette.handle_exception"
SERVER_ERROR = "服务器处理这个请求时出错，请稍后再试 (internal server error)"
TRACEBACK_FRAMES = 12        # the innermost frames of a logged traceback
TRACEBACK_CHARS = 4000       # and at most this much of it
KNOWN_FAILURES = 1000        # places remembered; past that every failure is one line
_logged: set[tuple] = set()


def install() -> None:
    """Take Datasette's exception handler and rich's traceback hook out (once per process)."""
    if pm.get_plugin(DATASETTE_HANDLER) is not None:
        pm.unregister(name=DATASETTE_HANDLER)
    if getattr(sys.excepthook, "__module__", "").startswith("rich"):
        sys.excepthook = sys.__excepthook__


def answer(datasette, request, exception: Exception):
    """The error page (or JSON) for an exception, as Datasette's handler would render it, minus its cost."""
    async def inner():
        title, info = None, {}
        if isinstance(exception, Base400):
            status, message = exception.status, exception.args[0] if exception.args else ""
        elif isinstance(exception, DatasetteError):
            status, info, title = exception.status, dict(exception.error_dict or {}), exception.title
            message = Markup(exception.message) if exception.message_is_html else exception.message
        else:
            status, message = 500, SERVER_ERROR
        if status >= 500:
            log_once(exception, request.path)
        headers = dict(NOSNIFF)
        if datasette.cors:
            add_cors_headers(headers)
        info.update({"ok": False, "error": message, "status": status, "title": title or ERROR_TITLES.get(status)})
        if request.path.split("?")[0].endswith(".json"):
            return json_response({k: str(v) if isinstance(v, Markup) else v for k, v in info.items()},
                                 status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        body = await template.render_async(dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                                                menu_links=list))
        return Response.html(body, status=status, headers=headers)
    return inner


def log_once(exception: BaseException, path: str) -> None:
    """The traceback, bounded, the first time this place fails; one line after that."""
    frames = traceback.extract_tb(exception.__traceback__)
    where = (type(exception).__name__,) + ((frames[-1].filename, frames[-1].lineno) if frames else ())
    if where in _logged or len(_logged) >= KNOWN_FAILURES:
        log.error("casekb: %s answering %s (again; traceback logged the first time)", type(exception).__name__,
                  path[:200])
        return
    _logged.add(where)
    text = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__,
                                              limit=-TRACEBACK_FRAMES))
    if len(text) > TRACEBACK_CHARS:
        text = text[:TRACEBACK_CHARS // 2] + "\n… (cut) …\n" + text[-TRACEBACK_CHARS // 2:]
    log.error("casekb: error answering %s\n%s", path[:200], text)
