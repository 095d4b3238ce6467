"""A small client of Odoo 19's JSON-2 API, for the harness, tests and tools.

Odoo 19 deprecates ``/xmlrpc`` and ``/jsonrpc`` (each call logs a warning);
its JSON-2 API is ``POST /json/2/<model>/<method>`` with the header
``Authorization: bearer <API key>`` and a JSON object of named arguments,
``ids`` and ``context``.  ``Json2.call(model, method, *args, **kwargs)``
keeps the ``execute_kw`` calling convention the scripts were written with:
positional arguments are named here (the first one of a record method is
``ids``), and ``create`` of one dict answers one id.

The harness gives the administrator an API key when it prepares a database
(``ensure_api_key``) and keeps it in a file beside the database's
configuration; scripts read it from there or from ``$SYNCO_API_KEY``.
Standard library only: the harness uses it before installing anything.
"""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

KEY_FILE = "admin-api-key"
KEY_NAME = "Synco scripts"
# methods of the model, not of records: their first positional argument is
# not ``ids``
MODEL_METHODS = {
    "create",
    "default_get",
    "fields_get",
    "name_search",
    "search",
    "search_count",
    "search_read",
}
# the names of the positional arguments of the ORM methods (after ``ids``
# for record methods), as execute_kw passed them
POSITIONAL = {
    "create": ("vals_list",),
    "default_get": ("fields_list",),
    "fields_get": ("allfields", "attributes"),
    "name_search": ("name", "domain", "operator", "limit"),
    "read": ("fields",),
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "write": ("vals",),
}


class Json2Error(RuntimeError):
    """Odoo answered a call with an error (its message and traceback)."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        detail = body.get("debug") or body.get("message") or body
        super().__init__(f"HTTP {status}: {detail}")


def named_arguments(method, args, kwargs):
    """``execute_kw``'s positional arguments as JSON-2's named ones."""
    params = dict(kwargs)
    args = list(args)
    if method not in MODEL_METHODS and args:
        params["ids"] = args.pop(0)
    names = POSITIONAL.get(method, ())
    if len(args) > len(names):
        raise TypeError(
            f"{method}: pass the arguments after the ids by name "
            f"(JSON-2 takes named arguments only)"
        )
    params.update(zip(names, args, strict=False))
    return params


class Json2:
    """Calls to one database of an Odoo server, as the owner of ``api_key``."""

    def __init__(self, url, database, api_key, timeout=120):
        self.url = url.rstrip("/")
        self.database = database
        self.api_key = api_key
        self.timeout = timeout

    def call(self, model, method, *args, context=None, **kwargs):
        """``model.method(*args, **kwargs)``; ``context`` as Odoo's context."""
        params = named_arguments(method, args, kwargs)
        if context:
            params["context"] = context
        result = self.post(f"/json/2/{model}/{method}", params)
        if method == "create" and isinstance(params.get("vals_list"), dict):
            return result[0]  # one record created: its id, as execute_kw did
        return result

    def post(self, path, params):
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(params).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"bearer {self.api_key}",
                "X-Odoo-Database": self.database,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            try:
                body = json.load(error)
            except ValueError:
                body = {"message": error.reason}
            raise Json2Error(error.code, body) from None

    def ref(self, xmlid):
        """The database id of an XML id (``module.name``)."""
        module, name = xmlid.split(".")
        return self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )[0]["res_id"]

    def ready(self):
        """Whether the server answers calls (it may still be starting)."""
        try:
            self.call("res.users", "search_count", [("id", "=", 2)])
        except (OSError, Json2Error):
            return False
        return True


def read_api_key(folder):
    """The administrator's key the harness wrote in ``folder``, else
    ``$SYNCO_API_KEY``."""
    path = Path(folder) / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    if os.environ.get("SYNCO_API_KEY"):
        return os.environ["SYNCO_API_KEY"]
    raise RuntimeError(
        f"no API key in {path} nor in $SYNCO_API_KEY: the harness writes it "
        "when it prepares the database"
    )


# run by the harness in a Python that imports Odoo: a key for the
# administrator, without expiry (a sudo'ed environment may create one)
GENERATE_KEY = """
import sys
from odoo import api, SUPERUSER_ID
from odoo.modules.registry import Registry
from odoo.tools import config
config.parse_config(["-c", sys.argv[1]])
with Registry(sys.argv[2]).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    admin = env.ref("base.user_admin")
    keys = env["res.users.apikeys"].sudo()
    keys.search([("user_id", "=", admin.id), ("name", "=", sys.argv[3])])._remove()
    print(keys.with_user(admin).sudo()._generate(None, sys.argv[3], None))
"""
