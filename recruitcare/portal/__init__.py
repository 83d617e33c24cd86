"""The candidate portal: a private link per application, no account and no password."""
