"""The site as an ASGI application for a multi-process server (granian's `--factory`, one call per worker).

`casekb serve` puts the one `datasette serve` argument list (casekb.serve.datasette_arguments) in the
environment; each worker parses it with Datasette's own `serve` command, so metadata, the template
folder, immutable files and settings mean exactly what they mean to `datasette serve`. The plugin's
startup hook (the encoder, the vectors, the work pool) runs once per worker, in the server's lifespan
startup, before the worker accepts its first request.
"""
import json
import os
import sys
from pathlib import Path

ARGUMENTS_VARIABLE = "CASEKB_DATASETTE_ARGS"


def datasette_instance(arguments: list[str]):
    """The Datasette that `datasette serve ARGUMENTS` would serve, not started; click.ClickException
    (or Datasette's BadMetadataError) when the arguments, the metadata or the files are wrong."""
    from datasette.cli import serve
    context = serve.make_context("serve", list(arguments))
    with context:
        return context.invoke(serve.callback, **{**context.params, "return_instance": True})


def check_metadata(path) -> None:
    """ValueError naming the file when Datasette cannot read the metadata (checked before workers start)."""
    from datasette.utils import BadMetadataError, parse_metadata
    try:
        parse_metadata(Path(path).read_text(encoding="utf-8"))
    except (BadMetadataError, OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: {e}") from None


def app():
    """The ASGI app of this worker (Datasette's app: its lifespan startup runs the startup hooks).
    A worker that cannot build it says why in one line and exits (the server then stops)."""
    import click
    from datasette.utils import BadMetadataError
    arguments = json.loads(os.environ[ARGUMENTS_VARIABLE])
    try:
        return datasette_instance(arguments).app()
    except (click.ClickException, BadMetadataError) as e:
        message = e.format_message() if isinstance(e, click.ClickException) else str(e)
        sys.exit(f"casekb serve: {message}")
