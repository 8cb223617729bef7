"""One module per row kind: each turns a page's facts into its row plans (pure, no I/O)."""
