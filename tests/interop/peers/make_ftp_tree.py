#!/usr/bin/python3
"""Builds the FTP fixture tree (everything but big.bin, which peers.sh streams out of openssl).

    make_ftp_tree.py ROOT BIG_SHA256 MANIFEST FACTS_JSON

Content is deterministic (seeded), so digests are the same on every machine:
  tree/dA/sB/fNNNN.bin   2,000 files of 512 B .. 64 KiB in 8 x 5 nested directories, modification
                         times 2024-01-02T03:04:05Z + N seconds (stable MDTM/MLSD facts for mirrors)
  hello.txt, empty.txt, link-to-hello.txt -> hello.txt (a symlink), and awkward names: spaces,
  UTF-8, a leading dash, '%' and '#', a directory with a space.
Writes MANIFEST in `sha256sum` format ("HEX  ./path", bytewise sorted, regular files only, big.bin
included with BIG_SHA256) and FACTS_JSON with the counts peers.json reports.
"""
import hashlib
import json
import os
import random
import sys

TREE_DIRS = 8
TREE_SUBDIRS = 5
TREE_FILES_PER_DIR = 50
TREE_MTIME = 1704164645  # 2024-01-02T03:04:05Z
HELLO = "hello from the inetkit peers\n"
HOSTILE = {
    "café menu.txt": "croissant 2.50\ncafé au lait 3.00\n",
    "日本.txt": "こんにちは 日本\n",
    "-leading-dash.txt": "a name that looks like an option\n",
    "two  spaces.txt": "two spaces in the name\n",
    "percent%41.txt": "a name with a percent escape that must not be decoded\n",
    "hash#mark.txt": "a name with a hash\n",
    "dir with spaces/inner file.txt": "inside a directory with a space\n",
}


def write(path, data, mtime):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    os.utime(path, (mtime, mtime))


def main():
    root, big_sha, manifest, facts_path = sys.argv[1:5]
    rng = random.Random(20260101)
    digests = {"./big.bin": big_sha}
    tree_bytes = 0
    n = 0
    for a in range(TREE_DIRS):
        for b in range(TREE_SUBDIRS):
            for _ in range(TREE_FILES_PER_DIR):
                data = rng.randbytes(rng.randint(512, 65536))
                rel = f"tree/d{a}/s{b}/f{n:04d}.bin"
                write(os.path.join(root, rel), data, TREE_MTIME + n)
                digests["./" + rel] = hashlib.sha256(data).hexdigest()
                tree_bytes += len(data)
                n += 1
    for a in range(TREE_DIRS):
        for b in range(TREE_SUBDIRS):
            os.utime(os.path.join(root, f"tree/d{a}/s{b}"), (TREE_MTIME, TREE_MTIME))
        os.utime(os.path.join(root, f"tree/d{a}"), (TREE_MTIME, TREE_MTIME))
    os.utime(os.path.join(root, "tree"), (TREE_MTIME, TREE_MTIME))

    extra = {"hello.txt": HELLO, "empty.txt": "", **HOSTILE}
    for rel, text in extra.items():
        data = text.encode("utf-8")
        write(os.path.join(root, rel), data, TREE_MTIME)
        digests["./" + rel] = hashlib.sha256(data).hexdigest()
    link = os.path.join(root, "link-to-hello.txt")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink("hello.txt", link)

    files = dirs = symlinks = total = 0
    for current, dirnames, filenames in os.walk(root):
        dirs += len(dirnames)
        for name in filenames:
            path = os.path.join(current, name)
            if os.path.islink(path):
                symlinks += 1
            else:
                files += 1
                total += os.path.getsize(path)
    if files != len(digests):
        sys.exit(f"make_ftp_tree: {files} files on disk but {len(digests)} digests")

    # Bytewise path order, as `LC_ALL=C sort -k2` would give.
    lines = sorted((p.encode("utf-8"), f"{h}  {p}\n".encode("utf-8")) for p, h in digests.items())
    with open(manifest, "wb") as out:
        out.writelines(line for _, line in lines)

    facts = {
        "files": files,
        "dirs": dirs,
        "symlinks": symlinks,
        "bytes": total,
        "tree": {"path": "/tree", "files": n, "dirs": TREE_DIRS * (TREE_SUBDIRS + 1), "bytes": tree_bytes},
        "hello": {"path": "/hello.txt", "size": len(HELLO.encode()), "text": HELLO,
                  "sha256": hashlib.sha256(HELLO.encode()).hexdigest()},
        "empty": {"path": "/empty.txt", "size": 0, "sha256": hashlib.sha256(b"").hexdigest()},
        "symlink": {"path": "/link-to-hello.txt", "target": "hello.txt"},
        "hostileNames": ["/" + rel for rel in HOSTILE],
        "treeMtime": TREE_MTIME,
    }
    with open(facts_path, "w", encoding="utf-8") as out:
        json.dump(facts, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
