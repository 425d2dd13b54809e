"""The static copy of the status page (cState/Upptime's lesson: it must outlive the outage).

`publish_site()` renders status.ko.html, status.ja.html, status.en.html and an index.html (plain
links to the three, no Accept-Language needed) with the CSS inlined, plus whatever the
registered contributors add (the server-down procedure of app.emergency), into a fresh
temporary directory next to STATUS_STATIC_DIR, then swaps it in by renames: a web server
never sees a half-written page. Optionally the files are copied to an S3-compatible bucket.
Running it twice writes the same pages (with a new generation time).
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from flask import current_app, render_template
from flask_babel import force_locale

from app.core import clock
from app.status import policies, queries

log = logging.getLogger(__name__)

#: Functions `(directory) -> list[str]` adding files to the static site (other packages register here).
CONTRIBUTORS: list[Callable[[str], list[str]]] = []


def register_static_files(fn: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """Let another package add files to every render of the static site (idempotent)."""
    if fn not in CONTRIBUTORS:
        CONTRIBUTORS.append(fn)
    return fn


def _emergency_files(directory: str) -> list[str]:
    try:
        from app.emergency.publish import render_static_files
    except ImportError:
        return []
    return list(render_static_files(directory) or [])


def _css() -> str:
    return (Path(current_app.root_path).parent / "static" / "css" / "status.css").read_text(encoding="utf-8")


def render_page(lang: str, *, static: bool, now=None) -> str:
    """The public page in one language; `static` pages link to their sibling files."""
    now = now or clock.now()
    notices = queries.open_published()
    with force_locale(lang):
        return render_template(
            "status/public.html", lang=lang, static=static, now=now, notices=notices,
            levels=queries.component_levels(notices, now), history=queries.history(now),
            css=_css() if static else None, generated=policies.timeline_times(now, lang))


def render_files(directory: str) -> list[str]:
    """Write the pages into `directory` (no swap); returns the file names written."""
    now = clock.now()
    names = []
    with current_app.test_request_context("/status"):
        for lang in policies.LANGUAGES:
            (Path(directory) / f"status.{lang}.html").write_text(render_page(lang, static=True, now=now),
                                                                  encoding="utf-8")
            names.append(f"status.{lang}.html")
        with force_locale("ko"):
            (Path(directory) / "index.html").write_text(
                render_template("status/static_index.html", css=_css(), now=now,
                                generated=policies.timeline_times(now, "en")), encoding="utf-8")
        names.append("index.html")
        for contributor in (*CONTRIBUTORS, _emergency_files):
            try:
                names += contributor(directory)
            except Exception:  # noqa: BLE001 — the status pages go out even if an addition fails
                log.exception("a static-site contributor failed")
    return names


def publish_site(target: str | None = None) -> list[str]:
    """Render the whole site and swap it in at `target` (STATUS_STATIC_DIR); then upload when a
    bucket is configured. Returns the file names."""
    target_path = Path(target or current_app.config["STATUS_STATIC_DIR"])
    target_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{target_path.name}-new-", dir=target_path.parent)
    try:
        names = render_files(tmp)
        os.chmod(tmp, 0o755)
        old = None
        if target_path.exists():
            old = tempfile.mkdtemp(prefix=f".{target_path.name}-old-", dir=target_path.parent)
            os.rmdir(old)
            os.rename(target_path, old)
        os.rename(tmp, target_path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if current_app.config.get("STATUS_S3_BUCKET"):
        upload(target_path, names)
    return names


def upload(directory: Path, names: list[str]) -> None:
    """Copy the files to the S3-compatible bucket (boto3 is imported only here)."""
    import boto3

    cfg = current_app.config
    client = boto3.client("s3", endpoint_url=cfg.get("STATUS_S3_ENDPOINT_URL") or None,
                          region_name=cfg.get("STATUS_S3_REGION") or None,
                          aws_access_key_id=cfg.get("STATUS_S3_ACCESS_KEY_ID") or None,
                          aws_secret_access_key=cfg.get("STATUS_S3_SECRET_ACCESS_KEY") or None)
    prefix = (cfg.get("STATUS_S3_PREFIX") or "").strip("/")
    for name in names:
        key = f"{prefix}/{name}" if prefix else name
        content_type = "text/html; charset=utf-8" if name.endswith(".html") else "application/octet-stream"
        client.upload_file(str(directory / name), cfg["STATUS_S3_BUCKET"], key,
                           ExtraArgs={"ContentType": content_type, "CacheControl": "max-age=30"})
