"""The domain: configurations, their rules (the service) and the errors it can raise.
Independent of HTTP and of DynamoDB."""
