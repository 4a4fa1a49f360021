"""Statements that target other statements (a StatementRef object): the filter conditions of
statement queries reach through them (xAPI 1.0.3 Communication 2.1.3.s3, 2.0 4.1.6.1), and a
statement voided before it arrived is stored voided."""
