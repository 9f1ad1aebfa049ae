"""Alembic environment of the state database.

registre runs the migrations itself when it opens the state database
(:func:`registre.state.open_state`), on a connection it already holds inside a locked
transaction; it passes that connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from registre.state.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "registre's state migrations run from registre.state.open_state(), "
        "not from the alembic command line"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
