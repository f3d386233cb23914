"""The ledger: chart of accounts, balanced journal entries per financial event, trial balance."""
