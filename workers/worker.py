"""The worker class named in the Procfile: builds the app before forking."""
from __future__ import annotations

from rq import Worker

from workers import get_app


class FrontdeskWorker(Worker):
    def work(self, *args, **kwargs):
        get_app()  # import and configure once; each work horse inherits it
        return super().work(*args, **kwargs)
