"""Directory commands (dealer CSV import lives here)."""
