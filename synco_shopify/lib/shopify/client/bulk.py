"""Bulk inventory writes of :class:`~.ShopifyClient`, and staged uploads.

One ``bulkOperationRunMutation`` over a JSONL file of variables staged on
Shopify's storage writes a big batch of quantities outside the cost bucket
(:meth:`BulkWriteMixin.set_available_bulk`); what its result file does not
settle goes through the per-call path of :mod:`.writes`.
"""

import json
import logging
import uuid

from .. import documents as docs
from ..errors import ShopifyPermanentError, UserError
from .inventory import _BulkBusy
from .results import Outcome
from .writes import (
    IDEMPOTENCY_CONCURRENT,
    IDEMPOTENCY_PREVIOUS_FAILED,
    STALE,
    _quantities_input,
)

_logger = logging.getLogger(__name__)

# a bulk line refused with these is sent again, unchanged, by the per-call path
RESEND_CODES = {IDEMPOTENCY_CONCURRENT, IDEMPOTENCY_PREVIOUS_FAILED}
# bulkOperationRunMutation userError codes: Shopify runs enough already
BULK_BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}


class BulkWriteMixin:
    """Bulk writes and staged uploads of :class:`~.ShopifyClient`."""

    def set_available_bulk(
        self,
        changes,
        *,
        reason="correction",
        reference_uri,
        on_stale=None,
        max_stale_rounds=5,
        poll_interval=0.25,
        timeout=3600.0,
    ):
        """:meth:`set_available` through one bulk mutation, for big writes.

        The quantities go as a JSONL file of variables, one quantity per
        line, each line with its own ``@idempotent`` key and its
        ``changeFromQuantity``: staged (``stagedUploadsCreate``, then a
        multipart POST to the storage target, without the access token),
        then run by ``bulkOperationRunMutation``, which Shopify executes
        line by line outside the cost bucket.  The client polls the
        operation (``poll_interval`` seconds after it started, growing to a
        second: a reconciliation's chunk waits on it before the next) and
        reads its result file, one answer per line (``__lineNumber``):

        * no userError: applied;
        * ``CHANGE_FROM_QUANTITY_STALE``: re-read, recomputed with
          ``on_stale`` exactly as :meth:`set_available` does, and sent again
          through the per-call path (250 per call);
        * a line without answer (an operation that failed part-way), an
          answer with top-level errors or an idempotency refusal: sent again
          through the per-call path as it was, compare-and-set, so a line
          Shopify applied anyway comes back stale and is not applied twice;
        * other userErrors (not stocked, invalid item): reported as
          :meth:`set_available` reports them.

        When Shopify refuses to start the operation because 5 bulk mutations
        of the app already run (``LIMIT_REACHED``, ``OPERATION_IN_PROGRESS``)
        every quantity goes through the per-call path instead.  Returns a
        :class:`SetQuantitiesResult` with one outcome per change, in input
        order, like :meth:`set_available`.
        """

        def bulk_first(pending, outcomes, result):
            retry = self._bulk_quantities(
                pending,
                reason,
                reference_uri,
                on_stale,
                (poll_interval, timeout),
                outcomes,
                result,
            )
            result.bulk_retried = len(retry)
            return retry

        return self._set_in_batches(
            changes, reason, reference_uri, on_stale, max_stale_rounds, bulk_first
        )

    def _bulk_quantities(
        self, pending, reason, reference_uri, on_stale, polling, outcomes, result
    ):
        """Run the bulk operation; settle what its file answers.

        :return: the items to send again through the per-call path
        """
        path = self.stage_upload(
            _bulk_variables(reason, reference_uri, pending),
            "inventory_quantities.jsonl",
        )
        try:
            operation = self.run_bulk_mutation(
                docs.INVENTORY_SET_QUANTITIES_BULK,
                path,
                client_identifier=reference_uri,
            )
        except _BulkBusy as exc:
            _logger.info(
                "%s: %s; writing %d quantities 250 per call instead",
                self.shop_domain,
                exc,
                len(pending),
            )
            return list(pending)
        result.bulk_operations += 1
        operation = self._wait_bulk(operation, "bulkOperationRunMutation", *polling)
        answers = self._bulk_answers(operation, len(pending))
        return self._settle_bulk_answers(pending, answers, on_stale, outcomes, result)

    def _bulk_answers(self, operation, lines):
        """{line number: answer} from a finished operation's (partial) file."""
        url = operation.get("url") or operation.get("partialDataUrl")
        answers = {}
        if url:
            for obj in self.iter_jsonl(url):
                answers[obj.get("__lineNumber")] = obj
        if operation.get("status") != "COMPLETED":
            _logger.warning(
                "%s: bulk operation %s %s (%s): %d of %d lines answered, the "
                "others are written 250 per call",
                self.shop_domain,
                operation.get("id"),
                operation.get("status"),
                operation.get("errorCode"),
                len(answers),
                lines,
            )
        return answers

    def _settle_bulk_answers(self, pending, answers, on_stale, outcomes, result):
        """Outcomes of the answered lines; the others to send again.

        :return: the items for the per-call path: unanswered or refused for
            their key as they were, stale ones recomputed from a re-read
        """
        retry, stale = [], []
        for number, p in enumerate(pending):
            answer = answers.get(number)
            payload = ((answer or {}).get("data") or {}).get("inventorySetQuantities")
            if answer is None or answer.get("errors") or payload is None:
                retry.append(p)
                continue
            result.bulk_lines += 1
            errors = [
                UserError.from_payload(e, "quantities")
                for e in payload.get("userErrors") or ()
            ]
            if not errors:
                self._outcome(outcomes, p, Outcome.APPLIED)
            elif errors[0].code == STALE:
                stale.append((p, errors[0]))
            elif errors[0].code in RESEND_CODES:
                retry.append(p)
            else:
                self._fail(outcomes, p, errors[0])
        if stale:
            result.stale_rounds += 1
            retry.extend(self._resolve_stale(stale, on_stale, outcomes))
        return sorted(retry, key=lambda p: p.index)

    def stage_upload(self, body, filename, mime_type="text/jsonl"):
        """Upload ``body`` as bulk mutation variables; return its staged path.

        ``stagedUploadsCreate`` gives a target on Shopify's storage; the file
        is POSTed there as a multipart form (the target's parameters, then
        the file), without the access token, which must not leave Shopify's
        Admin API.  Network errors and 5xx answers are retried.
        """
        data = self.execute(
            docs.STAGED_UPLOADS_CREATE,
            {
                "input": [
                    {
                        "resource": "BULK_MUTATION_VARIABLES",
                        "filename": filename,
                        "mimeType": mime_type,
                        "httpMethod": "POST",
                        "fileSize": str(len(body)),
                    }
                ]
            },
        ).data
        payload = data.get("stagedUploadsCreate") or {}
        self._raise_user_errors(payload, "stagedUploadsCreate")
        target = (payload.get("stagedTargets") or [{}])[0]
        parameters = [(p["name"], p["value"]) for p in target.get("parameters") or ()]
        path = dict(parameters).get("key")
        if not path or not target.get("url"):
            raise ShopifyPermanentError(
                "stagedUploadsCreate returned no target key",
                operation="StagedUploadsCreate",
            )
        self._post_file(target["url"], parameters, filename, body, mime_type)
        return path

    def run_bulk_mutation(self, mutation, staged_path, *, client_identifier=None):
        """Start ``mutation`` over the staged variables; return the operation.

        Raises ``_BulkBusy`` when Shopify runs as many bulk mutations for the
        app as it allows, :class:`ShopifyUserErrors` for other refusals.
        """
        data = self.execute(
            docs.BULK_OPERATION_RUN_MUTATION,
            {
                "mutation": mutation,
                "stagedUploadPath": staged_path,
                "clientIdentifier": client_identifier,
            },
        ).data
        payload = data.get("bulkOperationRunMutation") or {}
        errors = [UserError.from_payload(e) for e in payload.get("userErrors") or ()]
        if any(e.code in BULK_BUSY_CODES for e in errors):
            raise _BulkBusy(errors[0].message, errors)
        self._raise_user_errors(payload, "bulkOperationRunMutation")
        return payload.get("bulkOperation") or {}


def _bulk_variables(reason, reference_uri, pending):
    """JSONL bytes: one line of variables per quantity, each with its own key."""
    return "".join(
        json.dumps(
            {
                "idempotencyKey": str(uuid.uuid4()),
                "input": _quantities_input(reason, reference_uri, [p]),
            },
            separators=(",", ":"),
        )
        + "\n"
        for p in pending
    ).encode("utf-8")
