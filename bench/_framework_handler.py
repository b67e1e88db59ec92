"""The framework's share for bench/lambda_cold_start.py: the minimal handler's work behind
FastAPI and Mangum, and nothing else.

One catch-all route hands Mangum's API Gateway event to bench/_minimal_handler.py (its own
token check, validation and AWS calls) and returns its answer. Against the minimal handler
alone, this is what importing FastAPI, Starlette and Mangum, building an app and passing each
request through their request cycle costs, before any feature of ours.
"""

from __future__ import annotations

from _minimal_handler import handler as minimal  # type: ignore[import-not-found]
from fastapi import FastAPI, Request, Response
from mangum import Mangum

app = FastAPI()


@app.api_route("/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
async def everything(request: Request) -> Response:
    answer = minimal(request.scope["aws.event"], None)
    return Response(answer.get("body") or b"", answer["statusCode"], answer.get("headers"))


handler = Mangum(app, lifespan="off")
