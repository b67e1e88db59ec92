"""DynamoDB's two names for a condition that did not hold: the error code of a single write
(PutItem, UpdateItem, DeleteItem), and the code of one item among a cancelled transaction's
CancellationReasons."""

WRITE_CONDITION_FAILED = "ConditionalCheckFailedException"
ITEM_CONDITION_FAILED = "ConditionalCheckFailed"
