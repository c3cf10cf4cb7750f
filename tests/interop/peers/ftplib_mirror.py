#!/usr/bin/python3
"""Benchmark baseline: a sequential recursive FTP download with Python's ftplib, the way a
script written from the standard library docs would do it (one control connection, one passive data
connection per listing and per file, binary mode).

    ftplib_mirror.py HOST PORT REMOTE_DIR LOCAL_DIR [USER PASSWORD]

Walks with MLSD when FEAT offers it, otherwise parses `LIST` lines. Prints one JSON line:
{"files": N, "bytes": B, "seconds": S}.
"""
import ftplib
import json
import os
import sys
import time


def entries(ftp, path, use_mlsd):
    if use_mlsd:
        for name, facts in ftp.mlsd(path, facts=["type"]):
            if facts.get("type") in ("file", "dir"):
                yield name, facts["type"] == "dir"
        return
    lines = []
    ftp.retrlines(f"LIST {path}", lines.append)
    for line in lines:
        fields = line.split(None, 8)
        if len(fields) == 9 and line[0] in "-d" and fields[8] not in (".", ".."):
            yield fields[8], line[0] == "d"


def main():
    host, port, remote, local = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    user, password = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else ("anonymous", "bench@example.invalid")
    started = time.perf_counter()
    ftp = ftplib.FTP(encoding="utf-8", timeout=60)
    ftp.connect(host, port)
    ftp.login(user, password)
    ftp.voidcmd("TYPE I")
    use_mlsd = "\n MLSD" in ftp.sendcmd("FEAT").replace("\r", "")
    totals = {"files": 0, "bytes": 0}

    def walk(remote_dir, local_dir):
        os.makedirs(local_dir, exist_ok=True)
        for name, is_dir in list(entries(ftp, remote_dir, use_mlsd)):
            remote_path, local_path = f"{remote_dir}/{name}", os.path.join(local_dir, name)
            if is_dir:
                walk(remote_path, local_path)
                continue
            with open(local_path, "wb") as out:
                ftp.retrbinary(f"RETR {remote_path}", out.write, blocksize=65536)
                totals["bytes"] += out.tell()
            totals["files"] += 1

    walk(remote.rstrip("/"), local)
    ftp.quit()
    print(json.dumps({**totals, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
