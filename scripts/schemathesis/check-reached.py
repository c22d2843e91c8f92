"""check-reached.py HAR: fail unless Schemathesis reached every reading
operation with a 2xx answer (run by run.sh with the environment's Python).

The ids those operations take exist only as the server hands them out
(a created user's id, a listed channel's id), and a random string never
names one: a 2xx there means Schemathesis followed the document's links
from the creating and listing operations to the reading ones. Without the
links it would only ever see 404s, and the reading operations' success
paths would go untested without anyone noticing.
"""

import json
import re
import sys
from urllib.parse import urlsplit

READING = {
    "getUser": ("GET", r"/admin/v1/users/[^/]+"),
    "getUserPresence": ("GET", r"/admin/v1/users/[^/]+/presence"),
    "mintUserToken": ("POST", r"/admin/v1/users/[^/]+/tokens"),
    "getChannel": ("GET", r"/admin/v1/channels/[^/]+"),
    "listChannelMessages": ("GET", r"/admin/v1/channels/[^/]+/messages"),
    "removeChannelMember": ("DELETE", r"/admin/v1/channels/[^/]+/members/[^/]+"),
    # Not behind a link but behind a user token, which run.sh configures
    # for this operation alone.
    "getGateway": ("GET", r"/v1/gateway"),
}


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)["log"]["entries"]
    seen = {name: {} for name in READING}
    for entry in entries:
        method = entry["request"]["method"]
        url_path = urlsplit(entry["request"]["url"]).path
        status = entry["response"]["status"]
        for name, (want_method, pattern) in READING.items():
            if method == want_method and re.fullmatch(pattern, url_path):
                seen[name][status] = seen[name].get(status, 0) + 1
    missing = []
    for name, statuses in seen.items():
        ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
        print(f"  {name}: {ok} of {sum(statuses.values())} requests answered 2xx")
        if ok == 0:
            missing.append(name)
    if missing:
        print(f"check-reached: no 2xx for {', '.join(missing)}: the links from the creating "
              "and listing operations did not lead there (see cmd/openapigen/refine.go)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
