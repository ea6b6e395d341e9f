"""The web container's healthcheck: ``python -m socialsite.probe`` exits 0 when /healthz says ok.

It imports no Django (a check every few seconds must be cheap) and asks the way a TLS-terminating
proxy would: with a Host the site accepts and ``X-Forwarded-Proto: https``, so that neither
ALLOWED_HOSTS nor the HTTPS redirect of a production configuration turns the answer into a 400 or 301.
"""

import http.client
import os
import sys


def probe_host(allowed_hosts: str) -> str:
    """Return a Host header that DJANGO_ALLOWED_HOSTS accepts (its first entry made concrete)."""
    first = allowed_hosts.split(",")[0].strip()
    if not first or first == "*":
        return "localhost"
    return first.lstrip(".")  # ".example.org" allows example.org and its subdomains


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = probe_host(os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read()
    except OSError as error:
        print(f"healthz: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200 or body != b"ok":
        print(f"healthz: {response.status} {body[:200]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
