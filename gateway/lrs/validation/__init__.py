"""xAPI 1.0.3 and 2.0 statement validation: pure functions that raise StatementInvalid on the first violation."""

from gateway.lrs.validation.core import StatementInvalid
from gateway.lrs.validation.statement import validate_statement, validate_statements

__all__ = ["StatementInvalid", "validate_statement", "validate_statements"]
