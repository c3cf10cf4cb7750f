#!/usr/bin/python3
"""Benchmark baseline: the news_viewer job written with Python's nntplib (deprecated in 3.11,
removed in 3.13; Debian 12's python3 still has it).

    nntplib_search.py HOST PORT GROUP WORD OUT_HTML [CHUNK]

Reads the whole group's overview with OVER in chunks (default 10,000 articles), decodes each
Subject (RFC 2047), matches WORD case-insensitively as a substring, and writes an HTML page of the
hits with every field escaped. Prints one JSON line: {"articles": N, "hits": H, "seconds": S}.
"""
import html
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib  # noqa: E402


def decoded(value):
    try:
        return nntplib.decode_header(value)
    except (LookupError, ValueError):
        return value


def main():
    host, port, group, word, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    chunk = int(sys.argv[6]) if len(sys.argv) > 6 else 10_000
    started = time.perf_counter()
    server = nntplib.NNTP(host, port, usenetrc=False)
    _, _, first, last, _ = server.group(group)
    needle = word.casefold()
    seen = 0
    hits = []
    for low in range(first, last + 1, chunk):
        _, overviews = server.over((low, min(low + chunk - 1, last)))
        seen += len(overviews)
        for number, fields in overviews:
            subject = decoded(fields.get("subject", ""))
            if needle in subject.casefold():
                hits.append((number, subject, decoded(fields.get("from", "")), fields.get("date", "")))
    server.quit()
    with open(out, "w", encoding="utf-8") as page:
        page.write(f"<!doctype html><meta charset=utf-8><title>{html.escape(group)}</title><ul>\n")
        for number, subject, sender, date in reversed(hits):
            page.write(f"<li>{number} {html.escape(subject)} — {html.escape(sender)} {html.escape(date)}</li>\n")
        page.write("</ul>\n")
    print(json.dumps({"articles": seen, "hits": len(hits), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
