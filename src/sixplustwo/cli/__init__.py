"""The command line: parse, call the store, render. Heavy imports stay inside commands."""
