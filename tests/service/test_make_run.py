"""The README's first command on a clean checkout: clone the repository (plus the working
tree's uncommitted changes, so the test checks what is about to be committed), `make run` with
the ports moved by environment variables, wait for the console URL, place a demo call with
`hotline call`, find its ticket through the API with the demo login, stop the service.

The full `pip install` would take minutes and need the network: the clone gets a virtualenv
(``make run VENV=...``) whose ``hotline`` runs the clone's code on the installed packages of
this checkout's .venv; everything else is `make run` as a newcomer types it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import aiohttp
import pytest

from cti.app.demo import DEMO_PASSWORD
from ivr.voice import speak
from tests.checkout import checkout
from tests.tools import free_port, needs_programs, needs_voice

URL_LINE = re.compile(r"АДС hotline is running: (http://\S+)")

pytestmark = [
    pytest.mark.slow,
    needs_programs("make", "git"),
    needs_voice,  # the caller's voice
]


def borrowed_venv(venv: Path, code: Path) -> None:
    """A virtualenv that imports the clone's code first, then this checkout's installed packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    ours = Path(sysconfig.get_paths()["purelib"])
    # Plain path lines: the editable-install hook in ``ours`` (pointing at this checkout) is not run.
    (site / "zz_hotline_test.pth").write_text(f"{code}\n{ours}\n")
    hotline = venv / "bin" / "hotline"
    hotline.write_text(f"#!{venv}/bin/python\nimport sys\nfrom cti.app.cli import main\nsys.exit(main())\n")
    hotline.chmod(0o755)
    os.utime(hotline)  # newer than pyproject.toml: make sees an installed venv


async def test_make_run_on_a_clean_checkout_serves_a_demo_call(tmp_path: Path) -> None:
    clone, venv = tmp_path / "hotline", tmp_path / "venv"
    checkout(clone)
    borrowed_venv(venv, clone)
    wav = speak("Здравствуйте, у меня прорвало трубу в ванной", tmp_path / "x.wav")
    port, ari, ami = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_SERVER_PORT=str(port), HOTLINE_SERVER_STANDIN_ARI_PORT=str(ari),
               HOTLINE_SERVER_STANDIN_AMI_PORT=str(ami), PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_exec(
        "make", "run", f"VENV={venv}", cwd=clone, env=env, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        url = None
        async with asyncio.timeout(90):
            while url is None:
                line = (await proc.stdout.readline()).decode("utf-8", "replace")
                assert line, "make run exited:\n" + "".join(seen[-30:])
                seen.append(line)
                if m := URL_LINE.search(line):
                    url = m.group(1)
        assert url == f"http://127.0.0.1:{port}/"
        drain = asyncio.create_task(_drain(proc.stdout, seen))
        call = await asyncio.create_subprocess_exec(
            str(venv / "bin" / "hotline"), "call", "--from", "79161234567", "--keys", "1", "--say", str(wav),
            "--sim-url", f"http://127.0.0.1:{ari}", "--no-wait", cwd=clone, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(call.communicate(), 30)
        assert call.returncode == 0, out.decode()

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url + "login") as r:
                token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
            assert token
            async with http.post(url + "login", allow_redirects=False, data={
                    "login": "dispatcher1", "password": DEMO_PASSWORD, "csrf_token": token.group(1)}) as r:
                assert r.status == 302
            tickets: list[dict[str, object]] = []
            async with asyncio.timeout(90):  # greeting 11 s, menu, the caller speaks, 4 s of silence
                while not tickets:
                    await asyncio.sleep(1)
                    async with http.get(url + "api/caller-history", params={"phone": "79161234567"}) as r:
                        assert r.status == 200
                        tickets = await r.json()
        [ticket] = tickets
        assert ticket["channel"] == "phone_ivr" and ticket["category"] == "water"
        assert ticket["address"] == "улица Ленина, д. 5, кв. 12"  # a demo resident: the call brings the address
        assert (clone / "var" / "hotline.sqlite3").exists()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        drain.cancel() if "drain" in locals() else None
    text = "".join(seen)
    assert f"Demo logins (password {DEMO_PASSWORD!r})" in text
    assert proc.returncode is not None


async def _drain(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode("utf-8", "replace"))
