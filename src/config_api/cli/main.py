"""`config-api` command line: local stack, API, emulator, tokens, reconcile, ticker publish,
user deletion."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from config_api.cli.settings_errors import settings_problem

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # the emulator accepts any credentials
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _local_secret() -> str:
    """JWT_SECRET when set, else the built-in development secret the local stack accepts."""
    from config_api.auth.tokens import LOCAL_DEV_SECRET
    from config_api.settings import Settings

    secret = Settings().jwt_secret
    return secret.get_secret_value() if secret else LOCAL_DEV_SECRET


def cmd_token(args: argparse.Namespace) -> int:
    from config_api.auth.tokens import issue_token

    print(issue_token(args.user_id, _local_secret(), ttl_seconds=args.ttl))
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    import signal
    import threading

    from config_api.local.emulator import DataDirError, Emulator
    from config_api.settings import Settings

    data_dir = Path(args.data_dir) if args.data_dir else None
    try:
        emulator = Emulator(args.host, args.port, seed=Settings().chaos_seed, data_dir=data_dir)
    except (DataDirError, OSError) as exc:
        print(f"emulator not started: {exc}", file=sys.stderr)
        return 2
    found = emulator.store.summary() if emulator.store is not None else None
    if found:
        print(found, file=sys.stderr)

    def stop(*_: object) -> None:
        raise SystemExit(0)  # in the main thread: the server loop returns, the data are saved

    signal.signal(signal.SIGTERM, stop)
    if args.exit_with_parent:
        # stdin is a pipe only the parent holds: its end means the parent is gone.
        threading.Thread(target=_stop_at_end_of_stdin, daemon=True).start()
    print(f"AWS emulator on {emulator.url} (chaos API at {emulator.url}/_localstack/chaos/faults)")
    sys.stdout.flush()
    emulator.serve_forever()
    return 0


def _stop_at_end_of_stdin() -> None:
    import os
    import signal

    while sys.stdin.read(65536):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def local_data_dir(args: argparse.Namespace) -> Path | None:
    """Where `config-api local`'s emulator keeps its data: --data-dir (by default
    `.local-data`, relative to the directory it runs in, as DynamoDB Local's -dbPath is), or
    None with --ephemeral (memory only)."""
    return None if args.ephemeral else Path(args.data_dir)


def cmd_local(args: argparse.Namespace) -> int:
    from config_api.local.process import EmulatorDidNotStart, emulator_process

    data_dir = local_data_dir(args)
    try:
        with emulator_process(args.host, args.emulator_port, data_dir) as emulator_url:
            _serve_local(args, emulator_url, data_dir)
    except EmulatorDidNotStart as exc:
        print(exc, file=sys.stderr)  # the emulator printed why on stderr
        return 2
    return 0


def _serve_local(args: argparse.Namespace, emulator_url: str, data_dir: Path | None) -> None:
    import boto3

    from config_api.settings import Settings

    configured = Settings()
    # The emulator accepts any credentials: the clients' default session gets dummy ones, so
    # no real AWS credentials are needed (or used) by the local stack.
    boto3.setup_default_session(
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=configured.aws_region,
    )
    settings = configured.model_copy(
        update={"aws_endpoint_url": emulator_url, "jwt_secret": SecretStr(_local_secret())}
    )
    seed_stack(settings)
    api = f"http://{args.host}:{args.port}"
    kept = f"kept in {data_dir}/" if data_dir else "in memory only (--ephemeral)"
    print(
        f"config-api running at {api}\n"
        f"  docs:      {api}/docs\n"
        f"  emulator:  {emulator_url} "
        f"(inject faults: POST {emulator_url}/_localstack/chaos/faults)\n"
        f"  data:      {kept}\n"
        # The console script is in the project's .venv, which is not on PATH.
        f"  token:     .venv/bin/config-api token USER_ID   (or: make token USER_ID=alice)\n"
        f'  try:       curl -H "Authorization: Bearer $(.venv/bin/config-api token alice)" '
        f"{api}/api/v2/configurations\n"
        "Press Ctrl-C to stop."
    )
    sys.stdout.flush()
    serve(settings, args.host, args.port)


def cmd_serve(args: argparse.Namespace) -> int:
    from config_api.settings import Settings

    settings = Settings()
    if args.provision:
        seed_stack(settings)
    aws = settings.aws_endpoint_url or "AWS"
    print(f"config-api serving on http://{args.host}:{args.port} (AWS endpoint: {aws})")
    sys.stdout.flush()
    serve(settings, args.host, args.port)
    return 0


def serve(settings: object, host: str, port: int) -> None:
    """The API under uvicorn: what `local` and `serve` both run."""
    try:
        from config_api.cli.server import run  # uvicorn and httptools
    except ModuleNotFoundError:
        raise SystemExit(
            "config-api serve needs the 'server' extra: pip install 'config-api[server]'"
        ) from None

    from config_api.api.app import create_app
    from config_api.settings import Settings

    assert isinstance(settings, Settings)
    if settings.ops_port is not None:
        print(
            f"  operator routes (/metrics, /ops/*): http://{settings.ops_host}:{settings.ops_port}"
        )
        sys.stdout.flush()
    run(create_app(settings), settings, host, port)


def seed_stack(settings: object) -> None:
    """Create the table and bucket and upload the bundled ticker list (idempotent)."""
    from config_api.settings import Settings
    from config_api.store import clients
    from config_api.store.admin import provision
    from config_api.tickers.catalog import load_bundled

    assert isinstance(settings, Settings)
    provision.create_table(clients.dynamodb_client(settings), settings.table_name)
    s3 = clients.s3_client(settings)
    provision.create_bucket(s3, settings.ticker_bucket)
    provision.publish_tickers(
        s3, settings.ticker_bucket, settings.ticker_key, load_bundled().to_json()
    )


def cmd_tickers_publish(args: argparse.Namespace) -> int:
    from config_api.settings import Settings
    from config_api.store import clients
    from config_api.store.admin import provision

    settings = Settings()
    try:
        if args.bundled:
            from config_api.tickers.catalog import load_bundled

            data = load_bundled().to_json()
        else:
            data = Path(args.file).read_bytes()
        tickers = provision.publish_tickers(
            clients.s3_client(settings), settings.ticker_bucket, settings.ticker_key, data
        )
    except (OSError, ValueError) as exc:
        print(f"not published: {exc}", file=sys.stderr)
        return 2
    print(
        f"published {len(tickers)} symbols to s3://{settings.ticker_bucket}/{settings.ticker_key}"
    )
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from config_api.cli.reconcile import reconcile

    return reconcile(user=args.user, everyone=args.all, apply=args.apply)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="config-api", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="run emulator + API on this machine (the default stack)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8000)
    local.add_argument("--emulator-port", type=int, default=4566)
    keep = local.add_mutually_exclusive_group()
    keep.add_argument("--data-dir", default=".local-data", help="where the emulator keeps its data")
    keep.add_argument("--ephemeral", action="store_true", help="keep nothing (memory only)")
    local.set_defaults(func=cmd_local)

    srv = sub.add_parser("serve", help="run the API alone against AWS_ENDPOINT_URL (or AWS)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument(
        "--provision", action="store_true", help="create table/bucket, upload the ticker list"
    )
    srv.set_defaults(func=cmd_serve)

    emu = sub.add_parser("emulator", help="run the bundled AWS emulator alone")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=4566)
    emu.add_argument("--data-dir", help="keep the data there (default: memory only)")
    emu.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    emu.set_defaults(func=cmd_emulator)

    token = sub.add_parser("token", help="print a bearer token the local stack accepts")
    token.add_argument("user_id")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.set_defaults(func=cmd_token)

    rec = sub.add_parser("reconcile", help="recount configurations and report counter drift")
    who = rec.add_mutually_exclusive_group(required=True)
    who.add_argument("--user")
    who.add_argument("--all", action="store_true")
    rec.add_argument("--apply", action="store_true", help="repair drift (default: dry run)")
    rec.set_defaults(func=cmd_reconcile)

    tickers = sub.add_parser("tickers", help="ticker list operations")
    tsub = tickers.add_subparsers(dest="tickers_command", required=True)
    publish = tsub.add_parser("publish", help="validate a ticker list file and upload it")
    what = publish.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", help="a ticker list file")
    what.add_argument(
        "--bundled", action="store_true", help="the list bundled with this version (after a deploy)"
    )
    publish.set_defaults(func=cmd_tickers_publish)

    from config_api.cli.rollout import add_parser as add_rollout_parser
    from config_api.cli.users import add_parser as add_users_parser

    add_rollout_parser(sub)
    add_users_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    servers = (cmd_local, cmd_serve, cmd_emulator)  # they log on stdout, as deployed
    try:
        if args.func in servers:
            code: int = args.func(args)
        else:
            from config_api.observability.log import logs_on_stderr

            with logs_on_stderr():
                code = args.func(args)
    except (ValidationError, SettingsError) as exc:
        problem = settings_problem(exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
