"""The data-store adapter: reaching the organization's databases and checking the mapping."""

from registre.stores.connect import connect, open_engine, store_url
from registre.stores.reflect import MappingProblem, check_mapping, mapping_problems, reflect_schema

__all__ = [
    "MappingProblem",
    "check_mapping",
    "connect",
    "mapping_problems",
    "open_engine",
    "reflect_schema",
    "store_url",
]
