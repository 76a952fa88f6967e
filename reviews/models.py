"""Publication requests, review decisions and publications arrive with the reviews issue."""
