"""``sixplustwo owner …``: customers and their journey dates. The group and its commands, in
the order ``owner --help`` lists them; each command lives with its concern:

- ``owners_view.py``: list, find, show (customers as rows, one customer as a screen);
- ``owners_edit.py``: add, edit, assign, forget (a customer's details written or erased);
- ``owners_import.py``: import (a sales-system file, all rows or none);
- ``owners_merge.py``: merge (two records of one customer folded into one).
"""

from __future__ import annotations

import typer

from sixplustwo.cli import owners_edit, owners_import, owners_merge, owners_view
from sixplustwo.cli.messages import N_

app = typer.Typer(help=N_("Customers (业主) and their journey."), no_args_is_help=True)

app.command("add")(owners_edit.add)
app.command("list")(owners_view.list_owners)
app.command("find")(owners_view.find)
app.command("show")(owners_view.show)
app.command("edit")(owners_edit.edit)
app.command("assign")(owners_edit.assign)
app.command("forget")(owners_edit.forget)
app.command("import")(owners_import.import_owners)
app.command("merge")(owners_merge.merge)
