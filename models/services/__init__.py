"""Business services. Each takes a Session, never commits (the caller owns the transaction) and returns DTOs."""
