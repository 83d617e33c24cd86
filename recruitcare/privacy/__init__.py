"""Privacy: anonymising a person on request or when retention ends, keeping only counts."""
