"""WebSub publishing (W3C Recommendation): tell the hub that a feed changed.

The hub then fetches the feed and pushes it to subscribers, so they see a
new article without waiting for their next poll. A hub that is down must not
fail a build whose files are already written: every failure becomes a
``Notice``, and the next build that changes a feed pings again.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from seedfeed import __version__
from seedfeed.config import check_http_url
from seedfeed.model import Notice

USER_AGENT = f"seedfeed/{__version__} (WebSub publisher)"
# 408, 429 and 5xx are the hub's passing trouble; any other 4xx will not change on retry.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def _post(hub: str, topic: str, timeout: float) -> int:
    body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
    request = urllib.request.Request(  # noqa: S310  # hub is checked to be http(s) first
        hub,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # http(s) only
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def ping_hub(
    hub: str,
    topics: Sequence[str],
    *,
    source: Path,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Notice, ...]:
    """Send the publish ping for each changed feed URL; return a notice per failure.

    Each topic is tried at most ``attempts`` times, waiting ``backoff``,
    then twice that, between tries. ``source`` (feed.toml, where the hub is
    configured) is what the notices name. Never raises for a network failure.
    """
    problem = check_http_url(hub)
    if problem is not None:
        return (Notice(path=source, line=None, message=f"WebSub hub not pinged: {problem}"),)
    notices: list[Notice] = []
    for topic in topics:
        outcome = ""
        for attempt in range(1, attempts + 1):
            try:
                status = _post(hub, topic, timeout)
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                outcome = f"{reason}"
                retry = True
            else:
                if 200 <= status < 300:  # the hub accepted (WebSub says 2xx)
                    outcome = ""
                    break
                outcome = f"HTTP {status}"
                retry = status in _RETRY_STATUSES
            if not retry or attempt == attempts:
                break
            sleep(backoff * 2 ** (attempt - 1))
        if outcome:
            notices.append(
                Notice(
                    path=source,
                    line=None,
                    message=f"WebSub hub {hub} was not told about {topic} ({outcome}, "
                    f"after {attempt} attempt(s)); subscribers will see it on their next poll",
                )
            )
    return tuple(notices)
