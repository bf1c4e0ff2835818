"""Edition -> readers: subscribers, message, transports, ledger, tokens, serve, schedule."""
