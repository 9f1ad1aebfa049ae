"""Documents for people, generated from a register: the privacy policy and the Art. 30 record.

This is the library surface that the CLI, the web service and the request letters share:
render the policy, describe a retention rule in words, name the GDPR's fixed vocabulary.
"""

from registre._exceptions import DocumentError
from registre.documents.naming import recipient_name
from registre.documents.policy import build_policy, render_policy
from registre.documents.retention import describe_retention, describe_rule
from registre.documents.ropa import RopaTable, ropa_tables
from registre.documents.ropa_files import ropa_csv, ropa_xlsx, write_ropa
from registre.documents.typography import typeset
from registre.documents.wording import (
    cookie_category_name,
    country_name,
    date,
    duration,
    legal_basis_name,
    recipient_kind_name,
    right_description,
    role_name,
    safeguard_name,
    source_name,
    special_condition_name,
)

__all__ = [
    "DocumentError",
    "RopaTable",
    "build_policy",
    "cookie_category_name",
    "country_name",
    "date",
    "describe_retention",
    "describe_rule",
    "duration",
    "legal_basis_name",
    "recipient_kind_name",
    "recipient_name",
    "render_policy",
    "right_description",
    "role_name",
    "ropa_csv",
    "ropa_tables",
    "ropa_xlsx",
    "safeguard_name",
    "source_name",
    "special_condition_name",
    "typeset",
    "write_ropa",
]
