"""A vosk-server compatible websocket server backed by the vosk library.

Run: ``python -m ivr.asr.server --model DIR --port 2700``. Each connection gets a fresh
recogniser; every chunk decodes in the engine's bounded pool, never on the event loop.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from .decode import RecognizerSession
from .engine import VoskEngine
from .grammar import grammar_json
from .protocol import ClientConfig, ProtocolError, parse_text_message

log = structlog.get_logger(__name__)

ENGINE = web.AppKey("engine", VoskEngine)
MAX_MESSAGE = 4 * 1024 * 1024


async def recognize(request: web.Request) -> web.WebSocketResponse:
    engine = request.app[ENGINE]
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    model = await engine.model()
    config = ClientConfig()
    session: RecognizerSession | None = None
    live = False  # set by the config message: a grammar means a voice menu, a caller waiting
    chunks = 0
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            try:
                parsed = parse_text_message(msg.data)
            except ProtocolError as exc:
                log.warning("asr_server.protocol_error", error=str(exc))
                await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=str(exc)[:120].encode())
                break
            if parsed is None:  # eof: the final result, then close as vosk-server does
                final = await engine.run(session.final, interactive=live) if session else '{"text" : ""}'
                await ws.send_str(final)
                await ws.close()
                break
            config, session = parsed, None
            live = config.phrase_list is not None
        elif msg.type == WSMsgType.BINARY:
            if session is None:
                grammar = grammar_json(list(config.phrase_list)) if config.phrase_list is not None else None
                session = await engine.run(RecognizerSession, model, config.sample_rate, grammar, config.words,
                                           interactive=live)
            _, reply = await engine.run(session.accept, msg.data, interactive=live)
            chunks += 1
            await ws.send_str(reply)
        else:
            break
    log.debug("asr_server.connection_closed", chunks=chunks)
    return ws


def make_app(engine: VoskEngine) -> web.Application:
    app = web.Application()
    app[ENGINE] = engine

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await app[ENGINE].model()  # load before listening: a missing model stops start-up
        yield
        app[ENGINE].close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/", recognize)
    return app


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ivr.asr.server", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="unpacked Vosk model directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2700)
    parser.add_argument("--workers", type=int, default=0, help="decoding threads (0: one per core)")
    parser.add_argument("--max-active", type=int, default=0, help="decoder max-active (0: the model's own)")
    parser.add_argument("--beam", type=float, default=0.0, help="decoder beam (0: the model's own)")
    parser.add_argument("--lattice-beam", type=float, default=0.0, help="decoder lattice-beam (0: the model's own)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    engine = VoskEngine(args.model, args.workers, decoder={
        "max-active": args.max_active, "beam": args.beam, "lattice-beam": args.lattice_beam})
    log.info("asr_server.starting", model=str(args.model), port=args.port, workers=engine.workers)
    web.run_app(make_app(engine), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
