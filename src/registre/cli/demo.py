"""Commands: demo-data."""

from __future__ import annotations

from pathlib import Path

import typer

from registre.cli.application import app, err, out


@app.command("demo-data")
def demo_data(
    example: Path = typer.Argument(
        ..., help="An example folder holding app.py and register.yaml.", show_default=False
    ),
    url: str = typer.Option(
        ..., "--url", help="SQLAlchemy URL of the database to fill.", show_default=False
    ),
    subjects: int = typer.Option(
        1000, "--subjects", min=1, help="How many people (the app's main subjects) to generate."
    ),
    seed: int = typer.Option(0, "--seed", help="The same seed gives the same data."),
    drop: bool = typer.Option(
        False, "--drop", help="Drop the example's tables first if they exist."
    ),
    profile: str | None = typer.Option(
        None,
        "--profile",
        help="One of the example's data profiles (device-management: lean, 10 rows a person).",
        show_default=False,
    ),
) -> None:
    """Create an example application's database and fill it with synthetic data."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from registre.demo import load_app, load_demo_data
    from registre.register.loader import load_register
    from registre.stores.connect import masked, open_engine

    try:
        demo = load_app(example)
    except ModuleNotFoundError as missing:
        if missing.name != "faker":
            raise
        from registre._exceptions import RegistreError

        raise RegistreError(
            "demo-data needs Faker to make up its people, and Faker is not installed",
            hint="install it with registre's demo extra: pip install 'registre[demo]'",
        ) from None
    demo.profile(profile)  # an unknown profile is refused before the database is touched
    register_path = example / "register.yaml"
    register = load_register(register_path) if register_path.is_file() else None
    engine = open_engine(url)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} subjects, {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task(f"loading {example.name}", total=subjects, rows=0)
            loaded = 0

            def advance(done: int, batch: dict[str, int]) -> None:
                nonlocal loaded
                loaded += sum(batch.values())
                progress.update(task, advance=done, rows=loaded)

            report = load_demo_data(
                demo,
                engine,
                subjects=subjects,
                seed=seed,
                drop=drop,
                profile=profile,
                progress=advance,
            )
    finally:
        engine.dispose()
    counts = ", ".join(f"{name} {count:,}" for name, count in report.rows.items())
    out.print(f"{masked(url)}: {report.total:,} rows in {report.seconds:.1f} s ({counts})")
    clocked = register is None or any(
        register.rule(rule)[1].after
        for store in register.stores.values()
        for mapping in store.tables.values()
        for rule in mapping.rules
    )
    if clocked:
        out.print(
            f"data anchored on {demo.anchor:%Y-%m-%d}: every retention rule has rows due then"
        )
    else:  # the meeting assistant: its seed states no period, so nothing is ever due
        out.print(
            f"data anchored on {demo.anchor:%Y-%m-%d}; the register's rules state no period, "
            "so no row is ever due"
        )
    stores = register.stores if register is not None else {}
    store_id = demo.store_id or (next(iter(stores)) if len(stores) == 1 else None)
    if store_id is not None and store_id in stores:
        out.print("to enforce the register on it:")
        out.print(f"  export {stores[store_id].url_env}='{url}'", markup=False)
