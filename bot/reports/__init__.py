"""Documents and exports: the apology letter, publication pages, statistics."""
