"""Retention enforcement: plan which rows each rule makes due, then sweep them in batches.

:mod:`~registre.engine.plan` is pure (register, mapping, instant, holds -> work items);
:mod:`~registre.engine.sql` turns a plan into SQLAlchemy Core for the store's dialect;
:mod:`~registre.engine.anonymize` holds the anonymization methods;
:mod:`~registre.engine.sweep` executes, audited and resumable.
"""
