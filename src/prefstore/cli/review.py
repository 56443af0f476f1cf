"""Reviewing: `review` (a local web page over the store) and `report` (its overview as one HTML file)
(twins: prefstore.review.app.create_app, store.report)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import click

from ..errors import NoStore
from ..models import PairConfig
from ..render import out, warn
from .options import open_store, pair_options, store_options, store_path

DEFAULT_REVIEW_MEMORY = "600MB"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines reach the page.")
@click.option("--port", type=int, default=0, show_default=True, help="Port (0: a free one).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the page in a web browser.")
@click.option("--author", default=None, help="Who decides (default: $PREFSTORE_AUTHOR, else your login).")
@pair_options
@store_options
def review(host: str, port: int, open_browser: bool, author: str | None, config: PairConfig,
           runs: list[str] | None) -> None:
    """Review pairs in a local web page: overview, pair list, one pair side by side; exclude, flip, note
    and undo with keys (twin: prefstore.review.app.create_app).

    Prints the URL to open (it carries this launch's token) and serves until Ctrl-C. The store file
    is held only during a request, so other prefstore commands can use it meanwhile.
    """
    from ..decisions import default_author
    from ..pairs import check_runs  # here, not at the top: it loads sqlglot, which CLI start-up need not
    from ..review.app import Review, create_app
    from ..review.security import is_loopback
    from ..review.server import bind, serve

    path = store_path()
    if not Path(path).is_file():
        raise NoStore(f"no store at {path}; ingest a run first (prefstore --db {path} ingest FILE)")
    with open_store() as store, store.cursor() as cur:    # migrates the store if needed
        check_runs(cur, runs)
    if not is_loopback(host):
        warn(f"listening on {host}: anyone who can reach this machine and has the URL can read the store "
             f"and record decisions")
    sock = bind(host, port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    spill = tempfile.mkdtemp(prefix="prefstore-review-")
    root = click.get_current_context().find_root().params
    review_state = Review(path, config, runs, author or default_author(), token,
                          wait=click.get_current_context().obj["wait"],
                          memory_limit=root.get("memory_limit") or DEFAULT_REVIEW_MEMORY, temp_directory=spill)
    try:
        app = create_app(review_state, host, port)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
        url = f"http://{shown}:{port}/?token={token}"
        click.echo(f"prefstore review: {url}  (Ctrl-C stops)")
        if open_browser:
            import webbrowser
            webbrowser.open(url)
        serve(app, sock)
    except KeyboardInterrupt:  # Ctrl-C before uvicorn took over the signal: the same stop
        pass
    finally:
        review_state.close()
        sock.close()
        shutil.rmtree(spill, ignore_errors=True)


@click.command()
@click.argument("out_path", metavar="OUT.html", type=click.Path(path_type=Path))
@pair_options
@store_options
def report(out_path: Path, config: PairConfig, runs: list[str] | None) -> None:
    """Write the review overview and the lint summary as one self-contained HTML file (twin: store.report)."""
    with open_store(read_only=True) as store:
        summary = store.report(out_path, config, runs)
    out.print(f"wrote {out_path}: {summary['pairs']:,} pairs, lint {summary['errors']} error(s), "
              f"{summary['warnings']} warning(s)", markup=False, highlight=False)


COMMANDS = [review, report]
