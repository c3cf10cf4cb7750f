#!/usr/bin/python3
"""Generates the interop news spool and streams it into INN2 (used by tests/interop/peers.sh).

    populate_news.py feed  [--big-count N]   stream every article (TAKETHIS from 127.0.0.2)
    populate_news.py check [--big-count N]   exit 0 when each group has its expected count
    populate_news.py facts [--big-count N]   print the facts peers.json reports, as JSON
    populate_news.py show GROUP              print the first article of GROUP in wire format

Articles are deterministic (same Message-IDs, dates and subjects on every machine). innd treats
only 127.0.0.2 as a feeding peer (incoming.conf), so the feeder binds there and readers on
127.0.0.1 get nnrpd directly. Feeding an article twice is harmless: innd answers 439.

Groups:
  local.test     50 small articles <test.N@lab.test>: "deno" subjects in mixed case, HTML-hostile
                 subjects and From lines, bodies with dot-stuffed lines and a signature
  local.big      N articles <big.N@lab.test> (default 100,000): Date 2024-01-01 + N minutes,
                 threads of 10 (References), "deno" in every 100th subject, <script> in N%1000==500
  local.utf8     RFC 2047 encoded words (B, Q, several charsets, broken ones), raw 8-bit UTF-8
  local.threads  threads: a chain, a branching tree, orphans, a deep folded References header,
                 a reply fed before its parent, standalone articles
  local.post     empty, open for posting
"""
import argparse
import base64
import json
import os
import re
import socket
import sys
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

HOST = os.environ.get("NNTP_HOST", "127.0.0.1")
PORT = int(os.environ.get("NNTP_PORT", "1119"))
FEEDER = os.environ.get("NNTP_FEEDER", "127.0.0.2")
DOMAIN = "lab.test"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
WORD = "deno"
SPELLINGS = ("deno", "Deno", "DENO", "DeNo")
THREAD_SIZE = 10
ADJECTIVES = ("quick lazy brown silent rapid golden hidden tiny massive curious gentle broken shiny "
              "ancient modern hollow").split()
NOUNS = ("fox server packet river engine garden window bridge kernel socket lantern harbor signal "
         "thread module cluster").split()
KINDS = "report update question notes summary draft proposal review".split()
TESTER = "Lab Tester <tester@example.invalid>"

GROUPS = {
    "local.test": "Interop: 50 small articles, deno and HTML-hostile subjects",
    "local.big": "Interop: generated articles for scans and benchmarks",
    "local.utf8": "Interop: RFC 2047 encoded words and raw UTF-8",
    "local.threads": "Interop: References chains (threads)",
    "local.post": "Interop: empty, posting allowed",
}


def when(n, step_seconds):
    return format_datetime(EPOCH + timedelta(seconds=n * step_seconds))


def poster(n):
    return f"User {n % 50:02d} <user{n % 50:02d}@example.invalid>"


def article(mid, group, subject, sender, date, body, **extra):
    headers = {"Message-ID": mid, "Subject": subject, "From": sender, "Date": date, "Newsgroups": group}
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return headers, body


# ------------------------------------------------------------------------------------ local.test
TEST_SUBJECTS = {
    3: ("Deno 2.0 released", TESTER),
    7: ("why I like DENO and node", TESTER),
    11: ("question about deno deploy", TESTER),
    13: ("<script>alert(1)</script>", '"Mallory" <mallory@example.invalid>'),
    17: ("Tom & Jerry <b>bold</b> & \"quotes\" 'apos'", '"<b>Bob</b> & Co" <bob@example.invalid>'),
    19: ("a < b && c > d", TESTER),
    23: ("DeNo <i>italic</i> & <script>alert('deno')</script>", TESTER),
    29: ("&amp; already-escaped &lt;tag&gt; entities", TESTER),
    31: ("<img src=x onerror=alert(1)>", TESTER),
    37: ("Subject with \"double\" and 'single' quotes", TESTER),
    41: ("Denominators and denotations", TESTER),  # "deno" as a substring, not a word
    43: ("A very long subject line " + "that keeps going " * 12 + "end", TESTER),
}


def test_group():
    for n in range(1, 51):
        subject, sender = TEST_SUBJECTS.get(n, (f"Test article {n}", poster(n)))
        body = [
            f"This is test article number {n} in local.test.",
            "",
            ".a line that starts with a dot (dot-stuffing check)",
            "..two dots",
            "From the beginning of a line (mbox From_ check)",
            "HTML in body: <script>alert('body')</script> & <b>bold</b> &amp;",
            "-- ",
            f"signature {n}",
        ]
        yield article(f"<test.{n}@{DOMAIN}>", "local.test", subject, sender, when(n, 3600), body)


# ------------------------------------------------------------------------------------- local.big
def big_subject(n):
    subject = f"Big #{n}: {ADJECTIVES[n % 16]} {NOUNS[n // 16 % 16]} {KINDS[n // 256 % 8]}"
    if n % 100 == 0:
        subject += f" about {SPELLINGS[n // 100 % 4]} runtime"
    if n % 1000 == 500:
        subject += " <script>alert(1)</script> & \"x\" < 'y'"
    return subject


def big_group(count):
    for n in range(1, count + 1):
        extra = {}
        root = n - (n - 1) % THREAD_SIZE
        if n != root:
            refs = [f"<big.{root}@{DOMAIN}>"] + ([f"<big.{n - 1}@{DOMAIN}>"] if n - 1 != root else [])
            extra["References"] = " ".join(refs)
        body = [
            f"Line {i} of article {n}: {ADJECTIVES[(n + i) % 16]} {NOUNS[(n * 7 + i) % 16]} "
            "lorem ipsum dolor sit amet, consectetur adipiscing elit."
            for i in range(1, 4 + n % 8)
        ]
        yield article(f"<big.{n}@{DOMAIN}>", "local.big", big_subject(n), poster(n), when(n, 60), body, **extra)


# ------------------------------------------------------------------------------------ local.utf8
def b_word(text, charset="UTF-8"):
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def q_word(text, charset="UTF-8"):
    def one(byte):
        if byte == 0x20:
            return "_"
        if byte < 0x80 and chr(byte).isalnum():
            return chr(byte)
        return f"={byte:02X}"
    return f"=?{charset}?Q?{''.join(one(b) for b in text.encode(charset))}?="


UTF8_BODY = {"MIME_Version": "1.0", "Content_Type": "text/plain; charset=UTF-8",
             "Content_Transfer_Encoding": "8bit"}
LATIN1_BODY = {"MIME_Version": "1.0", "Content_Type": "text/plain; charset=ISO-8859-1",
               "Content_Transfer_Encoding": "8bit"}
QP_BODY = {"MIME_Version": "1.0", "Content_Type": "text/plain; charset=UTF-8",
           "Content_Transfer_Encoding": "quoted-printable"}
FOLDED = "A long encoded subject that is folded over two header lines "


def utf8_group():
    jose = f"{b_word('José Müller')} <jose@example.invalid>"
    francois = f"{q_word('François Lefèvre', 'ISO-8859-1')} <francois@example.invalid>"
    items = [
        (b_word("Grüße aus Köln"), jose, ["Grüße aus Köln! Schöne Grüße."], UTF8_BODY),
        (q_word("Café crème", "ISO-8859-1"), francois,
         ["Un café crème, s'il vous plaît.".encode("latin-1")], LATIN1_BODY),
        (q_word("日本語のテスト"), jose, ["日本語の本文です。"], UTF8_BODY),
        (f"Re: {b_word('Ünïcödé Deno')}", jose, ["deno ünïcödé body"], UTF8_BODY),
        (b_word("<script>alert('x')</script> & ü"), jose, ["encoded word hiding HTML: escape after decoding"],
         UTF8_BODY),
        (f"Mixed ascii {q_word('ÄÖÜ')} and {b_word('ß€')}", francois, ["mixed"], UTF8_BODY),
        (f"{q_word('adjacent')} {q_word(' words')}", jose,
         ["whitespace between two encoded words must be dropped"], UTF8_BODY),
        ("=?utf-8?q?lower=5Fcase_charset_=C3=A9?=", jose, ["lowercase charset and encoding"], UTF8_BODY),
        ("=?UTF-8?Q?DENO_=C3=BCber_alles?=", jose, ["deno in a Q encoded word"], UTF8_BODY),
        ("Raw UTF-8 subject: Привет мир", "Дмитрий <dmitry@example.invalid>", ["Привет!"], UTF8_BODY),
        ("Raw UTF-8 emoji 🎉 and deno 🦕", "Emoji Person 😀 <emoji@example.invalid>", ["🦕🦕🦕"], UTF8_BODY),
        (f"{q_word('Straße', 'ISO-8859-1')} <b>&</b>", francois, ["latin-1 Q word and raw HTML"], UTF8_BODY),
        ("=?ISO-8859-15?Q?Euro_=A4_sign?=", francois, ["ISO-8859-15 0xA4 is the euro sign"], UTF8_BODY),
        ("=?UTF-8?B?QnJva2VuIGJhc2U2NCDDqQ?=", jose, ["base64 without padding"], UTF8_BODY),
        ("=?x-unknown?Q?unknown_charset?=", jose, ["an unknown charset: show it raw"], UTF8_BODY),
        ("Not =?an encoded word?= at all", "plain@example.invalid (Plain Old Comment)",
         ["looks like an encoded word but is not one"], UTF8_BODY),
        (b_word("Quoted-printable body ✓"), jose, ["Caf=C3=A9 =E2=9C=93 soft=", "break joined"], QP_BODY),
        (f"{b_word(FOLDED)}\r\n {b_word(FOLDED.strip())}", jose,
         ["a Subject folded over two header lines, one encoded word on each"], UTF8_BODY),
    ]
    for n, (subject, sender, body, extra) in enumerate(items, start=1):
        yield article(f"<utf8.{n}@{DOMAIN}>", "local.utf8", subject, sender, when(n, 3600), body, **extra)


# --------------------------------------------------------------------------------- local.threads
def thread_shapes():
    """(id, parent id or None, subject), in feeding order."""
    shapes = [("1", None, "Thread one: linear chain")]
    parent = "1"
    for depth in range(2, 7):
        node = ".".join(["1"] * depth)
        shapes.append((node, parent, "Re: Thread one: linear chain"))
        parent = node
    branching = "Thread two: branching"
    shapes.append(("2", None, branching))
    for node in ("2.1", "2.2", "2.3", "2.1.1", "2.1.2", "2.2.1", "2.1.1.1"):
        shapes.append((node, node.rsplit(".", 1)[0], f"Re: {branching}"))
    hostile = "Deno vs <script>alert(1)</script> & friends"
    shapes += [("3", None, hostile), ("3.1", "3", f"Re: {hostile}"), ("3.1.1", "3.1", f"Re: Re: {hostile}"),
               ("3.2", "3", f"AW: {hostile}")]
    shapes += [("4", None, "Thread four"), ("4.1", "4", "Re: Thread four"),
               ("4.1.1", "4.1", "New topic (was: Re: Thread four)"),
               ("4.1.1.1", "4.1.1", "Re: New topic (was: Re: Thread four)")]
    orphan = "Re: A thread whose root was never posted"
    shapes += [("5.1", "5-missing", orphan), ("5.2", "5-missing", orphan), ("5.2.1", "5.2", orphan)]
    shapes.append(("6", None, "Thread six: deep chain"))
    parent = "6"
    for depth in range(1, 15):
        shapes.append((f"6.d{depth}", parent, "Re: Thread six: deep chain"))
        parent = f"6.d{depth}"
    early = "Thread seven: reply arrives first"
    shapes += [("7.1", "7", f"Re: {early}"), ("7", None, early), ("7.1.1", "7.1", f"Re: {early}")]
    shapes += [(f"s{k}", None, f"Standalone article {k}") for k in range(1, 6)]
    return shapes


def fold_ids(ids):
    lines, line = [], ""
    for mid in ids:
        if line and len(line) + len(mid) > 70:
            lines.append(line)
            line = mid
        else:
            line = f"{line} {mid}".strip()
    lines.append(line)
    return "\r\n ".join(lines)


def threads_group():
    shapes = thread_shapes()
    parents = {node: parent for node, parent, _ in shapes}
    for n, (node, parent, subject) in enumerate(shapes, start=1):
        chain, up = [], parent
        while up is not None:
            chain.insert(0, f"<thr.{up}@{DOMAIN}>")
            up = parents.get(up)
        extra = {"References": fold_ids(chain)} if chain else {}
        body = [f"Article {node} of local.threads.", f"> quoted text from {parent}" if parent else "Root article."]
        yield article(f"<thr.{node}@{DOMAIN}>", "local.threads", subject, poster(n), when(n, 600), body, **extra)


def group_articles(group, big_count):
    if group == "local.test":
        return test_group()
    if group == "local.big":
        return big_group(big_count)
    if group == "local.utf8":
        return utf8_group()
    if group == "local.threads":
        return threads_group()
    return iter(())


def expected_counts(big_count):
    return {g: sum(1 for _ in group_articles(g, big_count)) if g != "local.big" else big_count
            for g in GROUPS}


# ------------------------------------------------------------------------------------ wire format
def wire(headers, body):
    out = [b"Path: inetkit-peers!not-for-mail"]
    out += [f"{name}: {value}".encode("utf-8") for name, value in headers.items()]
    out.append(b"")
    for line in body:
        raw = line if isinstance(line, bytes) else line.encode("utf-8")
        out.append(b"." + raw if raw.startswith(b".") else raw)
    return b"\r\n".join(out) + b"\r\n.\r\n"


class Connection:
    """A minimal NNTP connection: CRLF lines in, CRLF lines out."""

    def __init__(self, source=None, timeout=120):
        address = (source, 0) if source else None
        self.sock = socket.create_connection((HOST, PORT), timeout=timeout, source_address=address)
        self.file = self.sock.makefile("rwb", buffering=1 << 16)
        self.greeting = self.line()

    def line(self):
        raw = self.file.readline()
        if not raw:
            raise SystemExit(f"populate_news: {HOST}:{PORT} closed the connection")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def command(self, text):
        self.file.write(text.encode("utf-8") + b"\r\n")
        self.file.flush()
        return self.line()

    def close(self):
        try:
            self.command("QUIT")
        except (OSError, SystemExit):
            pass
        self.sock.close()


def feed(big_count, window=200):
    conn = Connection(source=FEEDER)
    if not conn.greeting.startswith("200"):
        raise SystemExit(f"populate_news: feeder greeting {conn.greeting!r} ({FEEDER} must be a peer)")
    reply = conn.command("MODE STREAM")
    if not reply.startswith("203"):
        raise SystemExit(f"populate_news: MODE STREAM -> {reply!r}")
    for group in GROUPS:
        started = time.monotonic()
        accepted = duplicates = pending = 0

        def collect(n):
            nonlocal accepted, duplicates
            conn.file.flush()
            for _ in range(n):
                answer = conn.line()
                if answer.startswith("239"):
                    accepted += 1
                elif answer.startswith("439"):
                    duplicates += 1
                else:
                    raise SystemExit(f"populate_news: TAKETHIS -> {answer!r}")

        for headers, body in group_articles(group, big_count):
            conn.file.write(f"TAKETHIS {headers['Message-ID']}\r\n".encode() + wire(headers, body))
            pending += 1
            if pending == window:
                collect(pending)
                pending = 0
        collect(pending)
        if accepted or duplicates:
            print(f"[peers] news {group}: {accepted} accepted, {duplicates} already there, "
                  f"{time.monotonic() - started:.1f} s", flush=True)
    conn.close()


def check(big_count):
    conn = Connection(timeout=30)
    bad = []
    for group, want in expected_counts(big_count).items():
        reply = conn.command(f"GROUP {group}")
        if not reply.startswith("211"):
            bad.append(f"{group}: {reply}")
        elif group != "local.post" and int(reply.split()[1]) != want:
            bad.append(f"{group}: {reply.split()[1]} articles, expected {want}")
    conn.close()
    for item in bad:
        print(f"[peers] news {item}")
    return not bad


def facts(big_count):
    counts = expected_counts(big_count)
    ids = {"local.test": "<test.N@lab.test>", "local.big": "<big.N@lab.test>", "local.utf8": "<utf8.N@lab.test>",
           "local.threads": "<thr.ID@lab.test>", "local.post": ""}

    def hits(group, pattern):
        if group == "local.big":  # subjects only: building 100,000 bodies would take a second
            return sum(1 for n in range(1, big_count + 1) if pattern.search(big_subject(n)))
        return sum(1 for headers, _ in group_articles(group, big_count) if pattern.search(headers["Subject"]))

    substring = re.compile(re.escape(WORD), re.I)
    return {
        "groups": {g: {"count": counts[g], "posting": g == "local.post", "messageId": ids[g],
                       "description": GROUPS[g]}
                   for g in GROUPS},
        "word": WORD,
        "wordHits": {g: hits(g, substring) for g in ("local.big", "local.test", "local.threads")},
        "wholeWordHitsTest": hits("local.test", re.compile(r"\b" + re.escape(WORD) + r"\b", re.I)),
        "htmlHostileBig": sum(1 for n in range(1, big_count + 1) if n % 1000 == 500),
        "bigThreadSize": THREAD_SIZE,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("feed", "check", "facts", "show"))
    parser.add_argument("group", nargs="?")
    parser.add_argument("--big-count", type=int, default=100_000)
    args = parser.parse_args()
    if args.action == "feed":
        feed(args.big_count)
    elif args.action == "check":
        sys.exit(0 if check(args.big_count) else 1)
    elif args.action == "facts":
        print(json.dumps(facts(args.big_count), ensure_ascii=False, indent=1))
    else:
        for headers, body in group_articles(args.group, 3):
            sys.stdout.write(wire(headers, body).decode("utf-8", "replace").replace("\r\n", "\n"))
            break


if __name__ == "__main__":
    main()
