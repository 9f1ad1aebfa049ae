"""``registre cookies banner``: the cookie banner, generated from the register (issue 16 §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from registre.cli.application import app, out

cookies_app = typer.Typer(
    help="Cookies and trackers: the consent banner generated from the register.",
    no_args_is_help=True,
)
app.add_typer(cookies_app, name="cookies")


@cookies_app.command("banner")
def banner(
    path: Annotated[
        Path,
        typer.Argument(help="A register.yaml, or a folder of YAML files.", show_default=False),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            help="The folder to write registre-cookies.js and .css into.",
            show_default=False,
        ),
    ],
    lang: Annotated[
        list[str] | None,
        typer.Option(
            "--lang",
            help="A language of the banner, fr or en; repeat it for both (the page's lang "
            "attribute picks one). [default: the register's languages]",
            show_default=False,
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            metavar="URL",
            help="Where each choice is posted for the ledger: the service's "
            "https://HOST/api/v1/consent/choices. Without it, choices stay in the browser.",
            show_default=False,
        ),
    ] = None,
    policy_url: Annotated[
        str | None,
        typer.Option(
            "--policy-url",
            metavar="URL",
            help="A link to the privacy policy in the banner.",
            show_default=False,
        ),
    ] = None,
    notice: Annotated[
        bool,
        typer.Option(
            "--notice", help="Also print the banner's text, whose sha256 each choice records."
        ),
    ] = False,
) -> None:
    """Write a self-contained cookie banner (script and stylesheet) built from the register."""
    from registre.consent.banner import MAX_GZIPPED, notice_text, write_banner
    from registre.register.loader import load_register

    register = load_register(path)
    langs = _langs(lang, register)
    files = write_banner(register, output, langs=langs, endpoint=endpoint, policy_url=policy_url)
    out.print(f"wrote {files.script} and {files.stylesheet} ({files.gzipped:,} bytes gzipped)")
    if files.gzipped > MAX_GZIPPED:
        out.print(f"  warning: over the {MAX_GZIPPED:,} bytes budget; fewer cookies would help")
    if endpoint is None:
        out.print("  no --endpoint: choices are kept in the browser only, without proof")
    out.print("  in each page:")
    out.print(f'    <link rel="stylesheet" href="/{files.stylesheet.name}">')
    out.print(f'    <script src="/{files.script.name}" defer></script>')
    out.print('  and in the footer: <a href="#" data-registre-open></a> (the settings link)')
    out.print(
        '  a script of a category: <script type="text/plain" data-category="statistics" '
        'src="..."></script>'
    )
    out.print(
        '  an iframe or image of a category: <iframe data-category="marketing" '
        'data-src="..."></iframe>'
    )
    if notice:
        for one in langs:
            out.print(f"\n--- the banner's text ({one}) ---")
            out.print(notice_text(register, one), end="", markup=False)


def _langs(given: list[str] | None, register: Any) -> tuple[Any, ...]:
    chosen = tuple(dict.fromkeys(given or register.policy.languages))
    wrong = [one for one in chosen if one not in ("fr", "en")]
    if wrong:
        raise typer.BadParameter(f"{', '.join(wrong)}: the banner is written in fr or en")
    return chosen
