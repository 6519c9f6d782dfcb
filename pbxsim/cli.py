"""Command line of the stand-in: ``hotline pbx-sim`` runs it, ``hotline call`` places a call on it.

The lead wires ``add_subcommands`` and ``run`` into cti/app/cli.py; ``python -m pbxsim`` works alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp

from pbxsim.config import SimConfig
from pbxsim.control import TOKEN_ENV, TOKEN_HEADER
from pbxsim.sim import PbxSim

COMMANDS = ("pbx-sim", "call")


def add_subcommands(subparsers: Any) -> None:
    sim = subparsers.add_parser("pbx-sim", help="run the Asterisk stand-in (ARI + AMI) on loopback")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--ari-port", type=int, default=8088)
    sim.add_argument("--ami-port", type=int, default=5038)
    sim.add_argument("--user", default="hotline")
    sim.add_argument("--password", default="hotline-secret")
    sim.add_argument("--recordings-dir", default="var/pbxsim-recordings")
    sim.add_argument("--time-scale", type=float, default=1.0)

    call = subparsers.add_parser("call", help="place a scripted resident call on a running stand-in")
    call.add_argument("--from", dest="from_number", required=True)
    call.add_argument("--name", default="")
    call.add_argument("--keys", default="", help="DTMF keys, 1 s apart, from --first-key-at seconds into the call")
    call.add_argument("--first-key-at", type=float, default=12.0,
                      help="when the first key is pressed (default: after the hotline's 11-second greeting)")
    call.add_argument("--say", default=None, help="wav file the caller says into the first recording")
    call.add_argument("--text", default=None, help="Russian text the caller says (spoken by espeak-ng), instead of --say")
    call.add_argument("--hangup-after", type=float, default=None)
    call.add_argument("--sim-url", default="http://127.0.0.1:8088")
    call.add_argument("--sim-token-file", default="var/pbxsim-token",
                      help="the stand-in's control token (written there by demo mode; or PBXSIM_CONTROL_TOKEN)")
    call.add_argument("--no-wait", action="store_true", help="return at once instead of waiting for the hang-up")


def run(args: argparse.Namespace) -> int:
    if args.command == "pbx-sim":
        return asyncio.run(_serve(args))
    if args.command == "call":
        return asyncio.run(_call(args))
    raise SystemExit(f"unknown command {args.command}")


async def _serve(args: argparse.Namespace) -> int:
    config = SimConfig(host=args.host, ari_port=args.ari_port, ami_port=args.ami_port, ari_user=args.user,
                       ari_password=args.password, ami_user=args.user, ami_password=args.password,
                       recordings_dir=Path(args.recordings_dir), time_scale=args.time_scale,
                       control_token_file=Path("var/pbxsim-token"))
    # The hotline's prompts play as long as they would on Asterisk (as in demo mode).
    from ivr.prompts import PROMPTS_DIR
    from pbxsim.media import sounds_from_dir

    config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
    async with PbxSim(config) as sim:
        sys.stdout.write(f"pbx-sim: ARI http://{config.host}:{sim.ari_port}/ari  AMI {config.host}:{sim.ami_port}\n")
        sys.stdout.flush()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
    return 0


async def _call(args: argparse.Namespace) -> int:
    say = str(Path(args.say).resolve()) if args.say else None  # noqa: ASYNC240 (once, before any call)
    if args.text and not say:
        say = _speak(args.text)
    body = {"from": args.from_number, "name": args.name, "keys": args.keys, "first_key_at": args.first_key_at,
            "say": say, "hangup_after": args.hangup_after}
    url = args.sim_url.rstrip("/") + "/_sim/calls" + ("" if args.no_wait else "?wait=1")
    token = os.environ.get(TOKEN_ENV) or _read_token(Path(args.sim_token_file))
    headers = {"Content-Type": "application/json", TOKEN_HEADER: token}
    async with aiohttp.ClientSession() as session, session.post(url, data=json.dumps(body), headers=headers) as resp:
        text = await resp.text()
    sys.stdout.write(text + "\n")
    return 0 if resp.status == 201 else 1


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _speak(text: str) -> str:
    # The hotline's own synthesiser (ivr.voice: espeak-ng + sox); the stand-in runs beside the hotline.
    import tempfile

    from ivr.voice import VoiceError, speak

    out = Path(tempfile.mkdtemp(prefix="hotline-call-")) / "say.wav"
    try:
        return str(speak(text, out))
    except VoiceError as exc:
        raise SystemExit(f"hotline call: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pbxsim")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    return run(parser.parse_args(argv))
