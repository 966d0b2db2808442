"""``sixplustwo serve``: the butlers' page (web/), over the database the CLI uses."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import db_option


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        metavar="ADDR",
        help="Address to listen on (default: this machine only; put a proxy with TLS in front).",
    ),
    port: int = typer.Option(8000, "--port", metavar="PORT", help="Port to listen on."),
    trust_proxy: list[str] = typer.Option(
        [],
        "--trust-proxy",
        metavar="ADDR",
        help="A reverse proxy (address or network) whose X-Forwarded-For and -Proto are "
        "believed; cookies are then sent only over HTTPS. Repeatable.",
    ),
) -> None:
    """Serve the butlers' page: today's list on a phone, completed there; each butler sees only
    their own owners (users: sixplustwo user add). Needs the serve extra."""
    import ipaddress

    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.store.database import require_database

    for address in trust_proxy:
        try:
            ipaddress.ip_network(address.strip(), strict=False)
        except ValueError:
            raise InvalidInput("--trust-proxy {addr}: not an address or network",
                               addr=address) from None  # fmt: skip
    try:
        import uvicorn

        from sixplustwo.web.app import create_app
    except ImportError:
        raise InvalidInput("serve needs the serve extra: pip install 'sixplustwo[serve]'") from None
    db = db_option(ctx)
    require_database(db)
    app = create_app(db, trust_proxy=trust_proxy)
    uvicorn.run(
        app, host=host, port=port, proxy_headers=False, server_header=False, log_level="info"
    )
