#!/usr/bin/python3
"""Writes peers.json (the facts tests/interop/_peers.ts reads) from the environment peers.sh exports
and the facts files its content steps left behind. The file is replaced atomically, and only when a
fact changed, so an idempotent start keeps the same createdAt."""
import json
import os
from datetime import datetime, timezone

env = os.environ


def read_json(path):
    with open(path, encoding="utf-8") as source:
        return json.load(source)


def port_range(name):
    low, high = env[name].split()
    return [int(low), int(high)]


def service(software, version, port):
    return {"hostname": "127.0.0.1", "port": int(port), "software": software, "version": version}


def main():
    tls_dir = env["TLS_DIR"]
    ftp_user = {"name": env["FTP_USER"], "password": env["FTP_PASSWORD"], "home": env["USER_HOME"]}
    news_user = {"name": env["NEWS_USER"], "password": env["NEWS_PASSWORD"]}

    def ftp(software, version, port, tls, reuse, mlsd, pasv):
        return {**service(software, version, port), "tls": tls, "requireSslReuse": reuse, "mlsd": mlsd,
                "anonymous": True, "user": ftp_user, "passivePorts": port_range(pasv)}

    def http(software, version, port, upstream=None):
        peer = {**service(software, version, port), "url": f"http://127.0.0.1:{port}"}
        if upstream:
            peer["upstream"] = f"http://127.0.0.1:{upstream}"
        return peer

    ftp_facts = read_json(env["FTP_FACTS"])
    big_sha = None
    with open(env["MANIFEST"], encoding="utf-8") as manifest:
        for line in manifest:
            digest, path = line.rstrip("\n").split("  ", 1)
            if path == "./big.bin":
                big_sha = digest
    www_files = {}
    with open(env["WWW_FACTS"], encoding="utf-8") as source:
        for line in source:
            name, size, digest = line.split()
            www_files[name] = {"path": f"/{name}.bin", "size": int(size), "sha256": digest}

    facts = {
        "version": 1,
        "createdAt": "",
        "dir": env["PEERS_DIR"],
        "hostname": "127.0.0.1",
        "tls": {"caFile": f"{tls_dir}/ca.crt", "certFile": f"{tls_dir}/leaf.crt", "keyFile": f"{tls_dir}/leaf.key",
                "serverNames": ["127.0.0.1", "localhost"]},
        "vsftpd": ftp("vsftpd", env["VSFTPD_VERSION"], env["VSFTPD_PORT"], "none", False, False, "PASV_VSFTPD"),
        "vsftpdFtps": ftp("vsftpd", env["VSFTPD_VERSION"], env["VSFTPD_FTPS_PORT"], "required", True, False,
                          "PASV_VSFTPD_FTPS"),
        "pureFtpd": ftp("pure-ftpd", env["PUREFTPD_VERSION"], env["PUREFTPD_PORT"], "optional", False, True,
                        "PASV_PUREFTPD"),
        "ftp": {
            "root": env["FTP_ROOT"],
            "manifest": env["MANIFEST"],
            **{k: ftp_facts[k] for k in ("files", "dirs", "symlinks", "bytes", "tree")},
            "big": {"path": "/big.bin", "size": 1073741824, "sha256": big_sha},
            **{k: ftp_facts[k] for k in ("hello", "empty", "symlink", "hostileNames", "treeMtime")},
        },
        "nginx": http("nginx", env["NGINX_VERSION"], env["NGINX_PORT"]),
        "nginxProxy": http("nginx", env["NGINX_VERSION"], env["NGINX_PROXY_PORT"], env["NGINX_PORT"]),
        "pythonRedirector": http("python", env["PYTHON_VERSION"], env["PYREDIR_PORT"], env["NGINX_PORT"]),
        "www": {"root": env["WWW"], "files": www_files},
        "inn": {**service("inn", env["INN_VERSION"], env["NNTP_PORT"]), "tls": "starttls", "authRequired": False,
                "user": news_user},
        "innTls": {**service("inn", env["INN_VERSION"], env["NNTPS_PORT"]), "tls": "implicit", "authRequired": True,
                   "user": news_user},
        "news": read_json(env["NEWS_FACTS"]),
    }
    path = env["PEERS_JSON"]
    try:
        old = read_json(path)
        old["createdAt"] = ""
        if old == facts:
            return
    except (OSError, ValueError):
        pass
    facts["createdAt"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(facts, out, ensure_ascii=False, indent=2)
        out.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
