"""A minimal Hugging Face Hub-compatible server for tests (stdlib http.server in a thread on
127.0.0.1, port 0). It implements just what huggingface_hub needs to create a repo, commit
files inline ("regular" uploads), tag, describe a revision and serve file downloads:

    POST /api/repos/create                     POST /api/validate-yaml
    POST /api/models/{repo}/preupload/{rev}    POST /api/models/{repo}/commit/{rev}   (NDJSON, base64)
    POST /api/models/{repo}/tag/{rev}          GET  /api/models/{repo}[/revision/{rev}]
    GET  /api/models/{repo}/tree/{rev}[/{path}]
    GET|HEAD /{repo}/resolve/{rev}/{path}      (ETag, X-Repo-Commit, Content-Length)
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


@dataclass
class Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha -> files
    refs: dict[str, str] = field(default_factory=dict)  # branch / tag -> sha
    private: bool = False

    def resolve(self, revision: str) -> str | None:
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


class HubState:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    state: HubState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    # ------------------------------------------------------------ helpers
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Message": message})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _repo(self, repo_id: str) -> Repo | None:
        return self.state.repos.get(repo_id)

    def _revision(self, repo_id: str, revision: str) -> tuple[Repo | None, str | None]:
        """The repository and the commit a branch, tag or sha names (None when either is unknown)."""
        repo = self._repo(repo_id)
        return repo, repo.resolve(revision) if repo else None

    # ------------------------------------------------------------ routes
    def do_POST(self) -> None:  # noqa: N802
        path = unquote(urlsplit(self.path).path)
        self.state.requests.append(f"POST {path}")
        body = self._body()
        if path == "/api/repos/create":
            payload = json.loads(body or b"{}")
            repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
            with self.state.lock:
                if repo_id in self.state.repos:
                    return self._error(409, "You already created this model repo")
                self.state.repos[repo_id] = Repo(private=bool(payload.get("private")))
            return self._json(200, {"url": f"http://{self.headers['Host']}/{repo_id}", "name": repo_id})
        if path == "/api/validate-yaml":
            return self._json(200, {"errors": [], "warnings": []})
        match = re.fullmatch(r"/api/models/(?P<repo>[^/]+/[^/]+)/(?P<verb>preupload|commit|tag)/(?P<rev>.+)", path)
        if not match:
            return self._error(404, f"no route for POST {path}")
        repo = self._repo(match["repo"])
        if repo is None:
            return self._error(404, "Repository not found")
        if match["verb"] == "preupload":
            files = json.loads(body)["files"]
            return self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                              for f in files]})
        if match["verb"] == "tag":
            sha = repo.resolve(match["rev"])
            if sha is None:
                return self._error(404, "Revision not found")
            tag = json.loads(body)["tag"]
            repo.refs[tag] = sha
            return self._json(200, {"name": tag})
        return self._commit(match["repo"], repo, match["rev"], body)

    def _commit(self, repo_id: str, repo: Repo, revision: str, body: bytes) -> None:
        parent = repo.resolve(revision)
        files = dict(repo.commits[parent]) if parent else {}
        summary = ""
        for line in body.decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item["key"] == "header":
                summary = item["value"].get("summary", "")
            elif item["key"] == "file":
                value = item["value"]
                if value.get("encoding") != "base64":
                    return self._error(400, "only base64 file content is supported")
                files[value["path"]] = base64.b64decode(value["content"])
            elif item["key"] == "deletedFile":
                files.pop(item["value"]["path"], None)
            else:
                return self._error(400, f"unsupported commit operation {item['key']}")
        sha = hashlib.sha1(json.dumps([parent, summary, sorted((k, _git_blob_sha(v)) for k, v in files.items())])
                           .encode()).hexdigest()
        repo.commits[sha] = files
        repo.refs[revision] = sha  # commits go to a branch
        host = self.headers["Host"]
        return self._json(200, {"commitUrl": f"http://{host}/{repo_id}/commit/{sha}", "commitOid": sha,
                                "success": True})

    def do_GET(self) -> None:  # noqa: N802
        self._get()

    def do_HEAD(self) -> None:  # noqa: N802
        self._get()

    def _get(self) -> None:
        path = unquote(urlsplit(self.path).path)
        self.state.requests.append(f"{self.command} {path}")
        info = re.fullmatch(r"/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>.+))?", path)
        if info:
            repo, sha = self._revision(info["repo"], info["rev"] or "main")
            if sha is None:
                return self._error(404, "Repository or revision not found")
            return self._json(200, {
                "id": info["repo"], "modelId": info["repo"], "sha": sha, "private": repo.private,
                "siblings": [{"rfilename": name} for name in sorted(repo.commits[sha])],
                "tags": [], "downloads": 0, "likes": 0,
            })
        tree = re.fullmatch(r"/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<sub>.*))?", path)
        if tree:
            repo, sha = self._revision(tree["repo"], tree["rev"])
            if sha is None:
                return self._error(404, "Repository or revision not found")
            prefix = (tree["sub"] or "").strip("/")
            entries = [{"type": "file", "path": name, "size": len(data), "oid": _git_blob_sha(data)}
                       for name, data in sorted(repo.commits[sha].items())
                       if not prefix or name.startswith(prefix + "/")]
            return self._json(200, entries)
        resolve = re.fullmatch(r"/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)", path)
        if resolve:
            repo, sha = self._revision(resolve["repo"], resolve["rev"])
            if sha is None:
                return self._error(404, "Repository or revision not found")
            data = repo.commits[sha].get(resolve["file"])
            if data is None:
                return self._error(404, "Entry not found")
            etag = f'"{_git_blob_sha(data)}"'
            return self._send(200, data, {"ETag": etag, "X-Repo-Commit": sha}, "application/octet-stream")
        return self._error(404, f"no route for GET {path}")


class LocalHub:
    """Context manager running the server; ``endpoint`` is its base URL."""

    def __init__(self) -> None:
        self.state = HubState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
