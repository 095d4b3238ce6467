# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The jobs follow one naming rule: stored jobs keep running under the new names.

19.0.3 names every job ``_job_*`` (on Odoo's own models ``_job_shopify_*``).
queue_job stores a job's method by its name, so a job enqueued before the
upgrade would fail to load after it (``getattr`` of a method that is gone).
Before the module's data is loaded again, for each job of
:data:`RENAMED_JOBS`:

* ``queue_job`` rows: ``method_name`` (what the runner calls), the method in
  ``func_string`` (``model(ids).method(args)``, what the job shows) and
  ``channel_method_name`` (``<model>.method``).  Every row, whatever its
  state: a failed, cancelled or done job can be requeued, and queue_job
  loads the method of any job it opens a related action for;
* ``queue_job_function`` rows: ``method`` and their stored ``name``
  (``<model>.method``, which queue_job looks a job's retry pattern and
  channel up by); the module's data then writes the same method again;
* the ``job_failed`` alerts, whose subject is ``model.method``: a requeued job
  that then succeeds resolves its alert by that subject.

Identity keys need nothing: ours are strings of our own
(``synco_shopify.<kind>:<ids>``), not ``identity_exact`` hashes of the
method name, and a job's ``job_function_id`` keeps pointing at its function.
"""

#: (model, old method, new method): every job renamed in 19.0.3.0.0
RENAMED_JOBS = (
    ("shopify.webhook.event", "_process", "_job_process"),
    ("shopify.shop", "_poll_orders", "_job_poll_orders"),
    ("shopify.shop", "_synco_webhook_watchdog", "_job_webhook_watchdog"),
    ("shopify.product.binding", "_push_inventory", "_job_push_inventory"),
    ("sale.order", "_synco_shopify_align_location", "_job_shopify_align_location"),
    ("stock.picking", "_synco_shopify_fulfil", "_job_shopify_fulfil"),
)


def migrate(cr, version):
    if not version:
        return
    for model, old, new in RENAMED_JOBS:
        _rename_jobs(cr, model, old, new)
        _rename_job_function(cr, model, old, new)
        _rename_alerts(cr, model, old, new)


def _rename_jobs(cr, model, old, new):
    """The stored jobs of ``model.old`` call ``model.new``."""
    cr.execute(
        """
        UPDATE queue_job
           SET method_name = %(new)s,
               channel_method_name = %(function)s,
               -- the first "(ids).method(": the record set's repr has no
               -- parenthesis inside, the arguments after it may
               func_string = regexp_replace(
                   func_string, %(pattern)s, %(replacement)s
               )
         WHERE model_name = %(model)s AND method_name = %(old)s
        """,
        {
            "model": model,
            "old": old,
            "new": new,
            "function": f"<{model}>.{new}",
            "pattern": rf"^([^(]*\([^()]*\))\.{old}\(",
            "replacement": rf"\1.{new}(",
        },
    )


def _rename_job_function(cr, model, old, new):
    """The job function of ``model.old`` (its retry pattern, its channel)."""
    cr.execute(
        """
        UPDATE queue_job_function
           SET method = %(new)s, name = %(new_name)s
         WHERE name = %(old_name)s
           AND NOT EXISTS (
               SELECT 1 FROM queue_job_function WHERE name = %(new_name)s
           )
        """,
        {
            "new": new,
            "old_name": f"<{model}>.{old}",
            "new_name": f"<{model}>.{new}",
        },
    )


def _rename_alerts(cr, model, old, new):
    """The failed-job alerts of ``model.old``: subject, dedup key and name."""
    cr.execute("SELECT 1 FROM pg_class WHERE relname = 'shopify_alert'")
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE shopify_alert
           SET subject = %(new)s,
               dedup_key = left(dedup_key, -length(%(old)s)) || %(new)s,
               name = CASE WHEN right(name, length(%(old)s)) = %(old)s
                           THEN left(name, -length(%(old)s)) || %(new)s
                           ELSE name END
         WHERE kind = 'job_failed' AND subject = %(old)s
           AND right(dedup_key, length(%(old)s)) = %(old)s
        """,
        {"old": f"{model}.{old}", "new": f"{model}.{new}"},
    )
