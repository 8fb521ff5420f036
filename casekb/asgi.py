"""The site as an ASGI application for a multi-process server (granian's `--factory`, one call per worker).

`casekb serve` puts the one `datasette serve` argument list (casekb.serve.datasette_arguments) in the
environment; each worker parses it with Datasette's own `serve` command, so metadata, the template
folder, immutable files and settings mean exactly what they mean to `datasette serve`. The plugin's
startup hook (the encoder, the vectors, the work pool) runs once per worker, in the server's lifespan
startup, before the worker accepts its first request.
"""
import json
import os

ARGUMENTS_VARIABLE = "CASEKB_DATASETTE_ARGS"


def datasette_instance(arguments: list[str]):
    """The Datasette that `datasette serve ARGUMENTS` would serve, not started."""
    from datasette.cli import serve
    context = serve.make_context("serve", list(arguments))
    with context:
        return context.invoke(serve.callback, **{**context.params, "return_instance": True})


def app():
    """The ASGI app of this worker (Datasette's app: its lifespan startup runs the startup hooks)."""
    arguments = json.loads(os.environ[ARGUMENTS_VARIABLE])
    return datasette_instance(arguments).app()
