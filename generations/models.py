"""Generation requests, the credits ledger and quota policies arrive with the generations issue."""
