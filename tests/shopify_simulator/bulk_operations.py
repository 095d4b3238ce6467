"""Bulk operations: their lifecycle, staged uploads and background jobs.

What a bulk query or a line of a bulk mutation does is in ``bulk``; here the
simulator starts operations (one bulk query, a few bulk mutations at a time
per shop), runs them on threads of their own as Shopify's worker does, and
keeps their result files.  Bulk mutations take the lock line by line, so other
requests interleave with them; ``hold_bulk`` / ``release_bulk`` pause them and
the ``bulk_fail_after`` fault fails one part-way (its ``partialDataUrl``
serves the lines done).

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator.
"""

import threading
import time
import uuid

from . import bulk, graphql_api, state
from .inventory import _user_error


class BulkOperationsMixin:
    """Bulk queries and mutations of the simulated shops."""

    def _bulk_busy(self, shop, kind):
        """The userError refusing a new bulk operation of ``kind``, or None.

        Shopify runs one bulk query per app and shop at a time (busy until
        a read saw it end) and up to ``bulk.MAX_MUTATION_OPERATIONS`` bulk
        mutations (busy until they finished running).
        """
        if kind == "QUERY":
            running = [
                op
                for op in shop.bulk_operations.values()
                if graphql_api.bulk_type(op) == "QUERY"
                and op.status in ("CREATED", "RUNNING")
            ]
            if running:
                return _user_error(
                    "OPERATION_IN_PROGRESS",
                    None,
                    "A bulk query operation for this app and shop is already in "
                    f"progress: {running[0].id}.",
                )
            return None
        running = [
            op
            for op in shop.bulk_operations.values()
            if graphql_api.bulk_type(op) == "MUTATION" and not op.finished
        ]
        if len(running) >= bulk.MAX_MUTATION_OPERATIONS:
            return _user_error(
                "LIMIT_REACHED",
                None,
                f"A maximum of {bulk.MAX_MUTATION_OPERATIONS} bulk mutations can "
                "run at once for this app and shop.",
            )
        return None

    def _start_bulk(self, shop, kind, query, job, args, client_identifier=None):
        """Create a bulk operation (CREATED) and run ``job(operation, *args)``
        on a thread of its own, as Shopify's asynchronous worker does."""
        operation = state.BulkOperation(
            number=self.store.next_id(),
            query=query,
            type=kind,
            client_identifier=client_identifier,
            status="CREATED",
            created_at=time.time(),
            completed_at=None,
            jsonl=None,
            polls=0,
            object_count=0,
            root_object_count=0,
            finished=False,
            error_code=None,
        )
        shop.bulk_operations[operation.number] = operation
        threading.Thread(
            target=job,
            args=(operation, *args),
            name=f"sim-bulk-{kind.lower()}-{operation.number}",
            daemon=True,
        ).start()
        return {"bulkOperation": operation, "userErrors": []}

    def _finish_bulk(self, operation, lines=None, roots=0, error_code=None):
        """Record what a bulk operation's job produced: its result file (one
        JSONL text line per object), counts and error.  A read moves it to
        COMPLETED or FAILED afterwards (``graphql_api._poll``)."""
        with self.lock:
            if lines is not None:
                # the file as bytes (``bulk.JsonlFile``, encoded as it was
                # written): ten million levels never hold their lines as
                # text beside it, nor a copy per request
                if not isinstance(lines, bulk.JsonlFile):
                    rows, lines = lines, bulk.JsonlFile()
                    for row in rows:
                        lines.append(row)
                operation.jsonl = lines.getvalue()
                operation.object_count = len(lines)
                operation.root_object_count = roots
            operation.error_code = error_code
            operation.finished = True

    def apply_bulk_run(self, shop, query):
        busy = self._bulk_busy(shop, "QUERY")
        if busy:
            return {"bulkOperation": None, "userErrors": [busy]}
        document, problem = bulk.check_bulk_query(query)
        if problem:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {"code": "INVALID", "field": ["query"], "message": problem}
                ],
            }
        return self._start_bulk(shop, "QUERY", query, self._bulk_job, (shop, document))

    def _bulk_job(self, operation, shop, document):
        lines, roots, error = bulk.execute_bulk_query(self, shop, document)
        if error:
            self._finish_bulk(operation, error_code="INTERNAL_SERVER_ERROR")
        else:
            self._finish_bulk(operation, lines, roots)

    def apply_staged_uploads(self, shop, inputs):
        """``stagedUploadsCreate``: a POST target on this server per input.

        Only ``BULK_MUTATION_VARIABLES`` is simulated.  The target mimics
        Shopify's cloud storage: a form POST of the ``parameters`` then the
        ``file``; the ``key`` parameter is the ``stagedUploadPath``.
        """
        targets, errors = [], []
        for index, upload in enumerate(inputs):
            if upload["resource"] != "BULK_MUTATION_VARIABLES":
                errors.append(
                    _user_error(
                        None,
                        ["input", str(index), "resource"],
                        "Only BULK_MUTATION_VARIABLES uploads are simulated.",
                    )
                )
                continue
            if upload.get("httpMethod") != "POST":
                errors.append(
                    _user_error(
                        None,
                        ["input", str(index), "httpMethod"],
                        "Bulk mutation variables are uploaded with POST.",
                    )
                )
                continue
            key = f"{bulk.STAGED_PREFIX}{uuid.uuid4()}/{upload['filename']}"
            policy = uuid.uuid4().hex
            self.staged_uploads[key] = {
                "shop": shop.domain,
                "policy": policy,
                "data": None,
            }
            targets.append(
                {
                    "url": f"{self.base_url}/_sim/staged-uploads",
                    "resourceUrl": None,
                    "parameters": [
                        {"name": "key", "value": key},
                        {"name": "Content-Type", "value": upload["mimeType"]},
                        {"name": "success_action_status", "value": "201"},
                        {"name": "acl", "value": "private"},
                        {"name": "policy", "value": policy},
                    ],
                }
            )
        if errors:
            return {"stagedTargets": None, "userErrors": errors}
        return {"stagedTargets": targets, "userErrors": []}

    def receive_staged_upload(self, form, data):
        """The storage side of a staged upload -> (HTTP status, message).

        ``form`` holds the text fields; ``data`` the file's bytes.  A key
        never staged or a wrong policy is refused, as a signed POST policy is.
        """
        with self.lock:
            staged = self.staged_uploads.get(form.get("key"))
            if staged is None or staged["policy"] != form.get("policy"):
                return 403, "AccessDenied: invalid key or policy"
            if data is None:
                return 400, "InvalidArgument: the form has no file field"
            staged["data"] = data
            return int(form.get("success_action_status") or 204), "stored"

    def apply_bulk_mutation(self, shop, version, mutation, path, client_identifier):
        """``bulkOperationRunMutation``: checks, then a background job."""

        def refused(code, field, message):
            return {
                "bulkOperation": None,
                "userErrors": [_user_error(code, field, message)],
            }

        busy = self._bulk_busy(shop, "MUTATION")
        if busy:
            return {"bulkOperation": None, "userErrors": [busy]}
        document, problem = bulk.check_bulk_mutation(mutation)
        if problem:
            return refused("INVALID_MUTATION", ["mutation"], problem)
        staged = self.staged_uploads.get(path)
        if staged is None or staged["shop"] != shop.domain or staged["data"] is None:
            return refused(
                "NO_SUCH_FILE",
                ["stagedUploadPath"],
                "The JSONL file could not be found. Try uploading the file again.",
            )
        lines, problem = bulk.parse_variables_file(staged["data"])
        if problem:
            return refused("INVALID_STAGED_UPLOAD_FILE", ["stagedUploadPath"], problem)
        return self._start_bulk(
            shop,
            "MUTATION",
            mutation,
            self._bulk_mutation_job,
            (shop, version, document, lines),
            client_identifier=client_identifier,
        )

    def _bulk_mutation_job(self, operation, shop, version, document, lines):
        """Run each line under the lock, one at a time, like Shopify's worker:
        other requests (a sale, a manual edit) interleave between lines."""
        rows, error_code = [], None
        fail_after = self.faults["bulk_fail_after"]
        for number, variables in enumerate(lines):
            self.bulk_gate.wait()
            if fail_after is not None and number >= fail_after:
                error_code = "INTERNAL_SERVER_ERROR"
                break
            with self.lock:
                rows.append(
                    bulk.execute_mutation_line(
                        self, shop, version, document, variables, number
                    )
                )
        self._finish_bulk(operation, rows, len(rows), error_code)

    def hold_bulk(self):
        """Hold bulk mutations before their next line (tests: concurrency)."""
        self.bulk_gate.clear()

    def release_bulk(self):
        self.bulk_gate.set()

    def wait_for_bulk(self, timeout=60.0):
        """Block until every started bulk operation has finished running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(
                    op.finished
                    for shop in self.store.shops.values()
                    for op in shop.bulk_operations.values()
                ):
                    return True
            time.sleep(0.01)
        return False

    def bulk_result(self, number):
        with self.lock:
            for shop in self.store.shops.values():
                operation = shop.bulk_operations.get(number)
                if operation is not None and operation.status in (
                    "COMPLETED",
                    "FAILED",
                ):
                    return operation.jsonl
        return None
