"""``camfleet relay dingtalk``: Alertmanager's webhook → signed 钉钉 (DingTalk) robot messages in Chinese."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, checked_listen, err_console, errors_as_messages, get_config

relay_app = typer.Typer(help="Relays from Alertmanager to chat services it cannot post to by itself.")
app.add_typer(relay_app, name="relay")


@relay_app.command("dingtalk")
def dingtalk(
    webhook_file: Annotated[
        str, typer.Option("--webhook-file", help="File (mode 0600) holding the robot URL with its access_token.")
    ],
    secret_file: Annotated[
        str, typer.Option("--secret-file", help="File (mode 0600) holding the robot's SEC… secret.")
    ],
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT Alertmanager posts to.")] = "127.0.0.1:8060",
    web_url: Annotated[
        str, typer.Option("--web-url", help="camfleet's web address as the phones reach it (evidence links).")
    ] = "http://127.0.0.1:9870",
) -> None:
    """Take Alertmanager's webhook on POST /alert and post each group as one signed markdown message, in Chinese,
    times in [display] timezone; the URL's token and the secret are read from files and never printed."""
    from aiohttp import web

    from camfleet.config.display import display_zone
    from camfleet.log import setup_logging
    from camfleet.relay.dingtalk import Robot, make_app, read_secret_file

    host, port = checked_listen(listen, "--listen")
    with errors_as_messages():
        cfg = get_config()
        robot = Robot(read_secret_file(webhook_file, "--webhook-file"), read_secret_file(secret_file, "--secret-file"))
        setup_logging(cfg.logging.level, cfg.logging.format, [robot.webhook, robot.secret])
        relay = make_app(robot, display_zone(), web_url.rstrip("/"))
    err_console.print(f"relaying Alertmanager → dingtalk robot at {robot.host}, on {host}:{port}", highlight=False)
    web.run_app(relay, host=host, port=port, print=None, access_log=None)  # SIGTERM/SIGINT stop it cleanly
