"""Store code only the operator's commands run: provisioning, deleting a user's data,
scanning the table for reconcile, the rollout's history.

Never imported by the Lambda's code (a test checks it against the import closure of
config_api.lambda_handler), so the function's role is never granted what only these need
(Scan, BatchWriteItem, CreateTable...): tests/support/aws_calls.py derives the grant from
the modules that closure holds.
"""
