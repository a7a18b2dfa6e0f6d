"""The README's "API walk-through (curl)" runs as written against a fresh `make run`, and says what it returns.

A real ``fairflag serve --demo`` runs in a subprocess on a fresh SQLite file and a random loopback port. The
section's ``sh`` blocks run, in order, as one bash script, with three rewrites only: ``localhost:8000``
becomes the server's address, ``.venv/bin/fairflag`` the installed executable (on the same database), and
``curl`` a shell function that calls the real curl and also logs each reply's status and body.

Every request in the walk-through carries a ``# -> STATUS PATTERN`` comment (which may go on, indented, on
the comment lines after it): the last reply of that command must have that status and match the pattern. A
pattern is a JSON value in which an object lists the members that matter (others may follow), each item of a
list must match some item of the reply, ``…`` stands for what is left out (a value, further members or items,
or, inside a string, any characters) and ``$NAME`` for the shell variable's value at that point of the script.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## API walk-through (curl)"
EXPECT = re.compile(r"#\s*->\s*(\d{3})\s*(.*)$")
CONTINUED = re.compile(r"\s*#\s{3,}(\S.*)$")  # an expectation goes on, indented, on the next comment lines
VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
ELLIPSIS = "…"
ANY = "\x00any"  # a bare … as a value

CURL_WRAPPER = r"""
curl() {
  local out status
  out=$(command curl -w '\n%{http_code}' "$@") || return $?
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  printf '@@response %s %s\n' "$status" "$(printf '%s' "$out" | base64 -w0)" >> "$FF_WALK_LOG"
  printf '%s\n' "$out"
}
"""


# --- the README ----------------------------------------------------------------------------------------


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end if end != -1 else len(text)]


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", section(text), flags=re.S)


@dataclass
class Command:
    text: str  # as written, comments included
    expect: tuple[int, str] | None = None  # status and pattern text

    @property
    def requests(self) -> bool:
        return bool(re.search(r"\b(curl|login)\b", self.text)) and not self.text.lstrip().startswith(
            ("field()", "login()"))


def complete(chunk: str) -> bool:
    """Whether the lines so far end a shell command (no open quote, no trailing backslash)."""
    if chunk.rstrip("\n").endswith("\\"):
        return False
    try:
        shlex.split(chunk, comments=True)
    except ValueError:
        return False
    return True


def commands(blocks: list[str]) -> list[Command]:
    """Each block's commands, with the ``# ->`` comment on their last line or on the comment lines after."""
    out: list[Command] = []
    for block in blocks:
        chunk, last, continuing = "", None, False
        for line in block.splitlines(keepends=True):
            if not chunk and line.lstrip().startswith("#"):
                if last is not None:
                    last.text += line
                    found, more = EXPECT.search(line), CONTINUED.match(line)
                    if found:
                        assert last.expect is None, f"two expectations for {last.text!r}"
                        last.expect = (int(found[1]), found[2].strip())
                    elif continuing and more and last.expect:
                        last.expect = (last.expect[0], f"{last.expect[1]} {more[1].strip()}")
                    continuing = bool(found or (continuing and more))
                continue
            continuing = False
            if not chunk and not line.strip():
                continue
            chunk += line
            if complete(chunk):
                found = EXPECT.search(chunk.rstrip("\n").splitlines()[-1])
                last = Command(chunk, (int(found[1]), found[2].strip()) if found else None)
                out.append(last)
                continuing = found is not None
                chunk = ""
        assert not chunk, f"an unfinished command at the end of a block: {chunk!r}"
    return out


# --- patterns ------------------------------------------------------------------------------------------


def pattern_text(rest: str) -> str:
    """The JSON-like pattern at the start of ``rest`` (prose may follow it); '' when there is none."""
    rest = rest.replace("...", ELLIPSIS)
    if not rest or rest[0] not in "[{":
        return ""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(rest):
        if in_string:
            escaped = not escaped and ch == "\\"
            if ch == '"' and not escaped:
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return rest[:i + 1]
    raise AssertionError(f"unbalanced pattern: {rest!r}")


def parse_pattern(text: str, variables: dict[str, str]) -> Any:
    """The pattern as a JSON value: ``…`` members and items dropped, a ``…`` value becomes ANY."""
    out, i, in_string = [], 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            in_string = ch != '"'
            out.append(ch)
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch == ELLIPSIS:
            before = "".join(out).rstrip()
            if before.endswith(":"):
                out.append(json.dumps(ANY))
            elif before.endswith(","):  # a left-out member or item: drop it and its comma
                out = [before[:-1]]
            # after [ or {: nothing to add (a following comma is dropped below)
        elif ch == "," and "".join(out).rstrip().endswith(("[", "{")):
            pass
        else:
            out.append(ch)
        i += 1
    value = json.loads("".join(out))
    return expand(value, variables)


def expand(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            assert m[1] in variables, f"${m[1]} is not set at this point of the walk-through"
            return variables[m[1]]
        return VARIABLE.sub(sub, value)
    if isinstance(value, list):
        return [expand(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, variables) for k, v in value.items()}
    return value


def matches(pattern: Any, actual: Any) -> bool:
    if pattern == ANY:
        return True
    if isinstance(pattern, str):
        if not isinstance(actual, str):
            return False
        regex = ".*".join(re.escape(part) for part in pattern.split(ELLIPSIS))
        return re.fullmatch(regex, actual, flags=re.S) is not None
    if isinstance(pattern, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(actual, list) and all(any(matches(p, a) for a in actual) for p in pattern)
    return bool(pattern == actual and type(pattern) is type(actual))


def test_patterns_mean_what_the_docstring_says() -> None:
    p = parse_pattern('{"id": "rep_…", "n": 2, "x": …, "items": [{"k": "a"}, …], …}', {})
    assert matches(p, {"id": "rep_12", "n": 2, "x": [1], "items": [{"k": "b"}, {"k": "a", "z": 1}], "more": 1})
    assert not matches(p, {"id": "case_12", "n": 2, "x": 1, "items": [{"k": "a"}]})
    assert not matches(p, {"id": "rep_1", "n": 3, "x": 1, "items": [{"k": "a"}]})
    assert not matches(p, {"id": "rep_1", "n": 2, "items": [{"k": "a"}]})  # x is required, any value
    assert not matches(p, {"id": "rep_1", "n": 2, "x": 1, "items": [{"k": "b"}]})
    assert not matches(parse_pattern('{"ok": true}', {}), {"ok": 1})
    assert matches(parse_pattern('{"id": "$CASE", "h": […]}', {"CASE": "case_9"}), {"id": "case_9", "h": []})
    assert pattern_text('{"a": "}"}, then prose') == '{"a": "}"}'
    cmds = commands(["A=$(curl -s x \\\n  -d '{\"a\": 1,\n  \"b\": 2}')   # -> 201 {\"a\": …}\n# prose\n"
                     "curl -s y\n# -> 200 [{\"a\": 1,\n#         \"b\": 2}]\n# prose\n"])
    assert [c.expect for c in cmds] == [(201, '{"a": …}'), (200, '[{"a": 1, "b": 2}]')]


# --- the live server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    env: dict[str, str]
    log: Path
    executable: str  # the installed `fairflag`, for the README's .venv/bin/fairflag


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Server]:
    """``make run`` on a fresh SQLite file and a random loopback port."""
    executable = str(Path(sys.executable).with_name("fairflag"))
    port = free_port()
    env = {**os.environ, "FAIRFLAG_DATABASE_URL": f"sqlite:///{tmp_path / 'fairflag.db'}",
           "FAIRFLAG_HOST": "127.0.0.1", "FAIRFLAG_PORT": str(port)}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([executable, "serve", "--demo"], cwd=tmp_path, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"the server stopped: {log.read_text(errors='replace')[-3000:]}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no server after 120 s: {log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.2)
        yield Server(base, env, log, executable)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            proc.kill()
            proc.wait()


def demo_campaign_sizes(server: Server) -> dict[str, int]:
    """The demo's campaigns as a console user sees them: targets joined -> members."""
    login = httpx.post(f"{server.base}/v1/auth/login", json={"username": "eve", "password": "fairflag-demo"})
    assert login.status_code == 200, login.text
    r = httpx.get(f"{server.base}/v1/campaigns", headers={"authorization": f"Bearer {login.json()['token']}"})
    assert r.status_code == 200, r.text
    sizes = {}
    for c in r.json():
        assert c["reporter_count"] == len(c["members"]) and c["target_count"] == len(c["targets"]), c
        sizes[",".join(c["targets"])] = c["reporter_count"]
    return sizes


def test_the_readme_walkthrough_runs_as_written(demo_server: Server, tmp_path: Path) -> None:
    missing = [tool for tool in ("bash", "curl", "base64", "python3") if shutil.which(tool) is None]
    assert not missing, f"the walk-through needs {missing} on the PATH"
    readme = README.read_text(encoding="utf-8")
    steps = commands(sh_blocks(readme))
    requests = [c for c in steps if c.requests]
    assert len(requests) >= 20, [c.text for c in steps]
    unchecked = [c.text for c in requests if c.expect is None and not re.match(r"\s*[A-Z]+=\$\(login ", c.text)]
    assert not unchecked, f"requests that do not say what they return: {unchecked}"

    # The "Quality under attack" sentence about the demo's honest crowd gives its real size.
    sizes = demo_campaign_sizes(demo_server)
    honest = [n for targets, n in sizes.items() if "vid.lena.dumplings" not in targets]
    said = re.search(r'the demo\'s small pool of honest reporters forms one such "campaign"\s*\((\d+) members\b',
                     readme)
    assert said and honest == [int(said[1])], (said and said[0], sizes)

    log = tmp_path / "walk.log"
    names = sorted({m for c in steps if c.expect for m in VARIABLE.findall(c.expect[1])})
    script = ["set -euo pipefail", CURL_WRAPPER]
    for i, step in enumerate(steps):
        text = step.text.replace("localhost:8000", demo_server.base.removeprefix("http://"))
        text = text.replace(".venv/bin/fairflag", shlex.quote(demo_server.executable))
        script += [f"printf '\\n@@step {i}\\n'; printf '@@step {i}\\n' >> \"$FF_WALK_LOG\"", text]
        script += [f"printf '@@var {n} %s\\n' \"${{{n}-}}\" >> \"$FF_WALK_LOG\"" for n in names]
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, capture_output=True, text=True,
                          env={**demo_server.env, "FF_WALK_LOG": str(log)}, timeout=300)
    assert done.returncode == 0, f"the walk-through stopped (exit {done.returncode}):\n{done.stdout[-4000:]}\n" \
                                 f"{done.stderr[-4000:]}"

    replies: dict[int, list[tuple[int, str]]] = {}
    variables: dict[int, dict[str, str]] = {}
    current = -1
    for line in log.read_text(encoding="utf-8").splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "@@step":
            current = int(rest)
            variables[current] = dict(variables.get(current - 1, {}))
        elif kind == "@@response":
            status, _, body = rest.partition(" ")
            replies.setdefault(current, []).append((int(status), base64.b64decode(body).decode("utf-8")))
        elif kind == "@@var":
            name, _, value = rest.partition(" ")
            variables[current][name] = value
    assert len(variables) == len(steps)

    checked = 0
    for i, step in enumerate(steps):
        if step.expect is None:
            continue
        status, rest = step.expect
        assert replies.get(i), f"no request was made by {step.text!r}"
        got_status, body = replies[i][-1]
        where = f"{step.text.strip()}\n  replied {got_status} {body[:3000]}"
        assert got_status == status, where
        pattern = pattern_text(rest)
        if pattern:
            assert matches(parse_pattern(pattern, variables[i]), json.loads(body)), where
        checked += 1
    assert checked >= 20
