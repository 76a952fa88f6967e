"""Bug and feedback reports, the contribution ledger and payouts arrive with the feedback issue."""
